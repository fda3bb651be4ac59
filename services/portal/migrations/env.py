from crm_platform.migrations import run_env
from crm_portal.adapters.orm import metadata

run_env("portal", metadata)
