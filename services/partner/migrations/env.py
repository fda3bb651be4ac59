from crm_partner.adapters.orm import metadata
from crm_platform.migrations import run_env

run_env("partner", metadata)
