"""The knowledge base: articles, their published versions, feedback, suggested answers, and
the full-text index of the published articles: a table with a generated, weighted tsvector
and its GIN index on PostgreSQL, an FTS5 table on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crm_platform.db import UtcDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("draft_title", sa.String(200)),
        sa.Column("draft_body", sa.Text()),
        sa.Column("published_number", sa.Integer()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_articles_created", "articles", ["created_at", "id"])
    op.create_table(
        "article_versions",
        sa.Column("article_id", sa.Uuid(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "article_feedback",
        sa.Column("article_id", sa.Uuid(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("reader", sa.String(100), primary_key=True),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("asked_by", sa.String(100), nullable=False),
        sa.Column("customer_id", sa.Uuid()),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("article_ids", sa.JSON(), nullable=False),
        sa.Column("solved_by", sa.Uuid()),
        sa.Column("solved_at", UtcDateTime()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_suggestions_created", "suggestions", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        # title and tags weigh more than the body in ts_rank
        op.execute(
            """
            CREATE TABLE article_search (
                article_id uuid PRIMARY KEY REFERENCES articles (id),
                category varchar(100) NOT NULL,
                title text NOT NULL,
                body text NOT NULL,
                tags text NOT NULL,
                document tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', title), 'A')
                    || setweight(to_tsvector('english', tags), 'A')
                    || setweight(to_tsvector('english', body), 'B')
                ) STORED
            )
            """
        )
        op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5("
            "article_id UNINDEXED, category UNINDEXED, title, body, tags, tokenize = 'porter')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE article_search")
    op.drop_table("suggestions")
    op.drop_table("article_feedback")
    op.drop_table("article_versions")
    op.drop_table("articles")
