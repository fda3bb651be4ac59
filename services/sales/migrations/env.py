from crm_platform.migrations import run_env
from crm_sales.adapters.orm import metadata

run_env("sales", metadata)
