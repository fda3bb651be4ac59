from crm_analytics.adapters.orm import metadata
from crm_platform.migrations import run_env

run_env("analytics", metadata)
