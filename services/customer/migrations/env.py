from crm_platform.migrations import run_env

from crm_customer.adapters.orm import metadata

run_env("customer", metadata)
