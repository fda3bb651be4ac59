"""Alembic environment of the throwaway schema the chassis tests run against."""

import sqlalchemy as sa
from crm_platform.migrations import run_env

run_env("platform_test", sa.MetaData())
