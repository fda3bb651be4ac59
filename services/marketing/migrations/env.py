from crm_marketing.adapters.orm import metadata
from crm_platform.migrations import run_env

run_env("marketing", metadata)
