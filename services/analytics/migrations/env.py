from crm_platform.migrations import run_env

from crm_analytics.adapters.orm import metadata

run_env("analytics", metadata)
