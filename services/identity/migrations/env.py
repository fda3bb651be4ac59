from crm_identity.adapters.orm import metadata
from crm_platform.migrations import run_env

run_env("identity", metadata)
