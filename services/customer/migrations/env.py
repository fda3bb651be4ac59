from crm_customer.adapters.orm import metadata
from crm_platform.migrations import run_env

run_env("customer", metadata)
