from crm_platform.migrations import run_env
from crm_service.adapters.orm import metadata

run_env("service", metadata)
