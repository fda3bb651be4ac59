"""The full-text index of the published articles, one port (service_layer/ports.py
ArticleSearch) and two adapters: PostgreSQL's weighted tsvector (a generated column, GIN
indexed) ranked by ts_rank, and SQLite's FTS5 ranked by bm25. The migration 0003 builds the
index table each way. A question's words are matched any-of, the best match first."""

from __future__ import annotations

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm_service.domain.knowledge import Article

# words websearch_to_tsquery reads as operators
_OPERATORS = frozenset({"or", "and", "not"})


class PostgresArticleSearch:
    def __init__(self, session: Session) -> None:
        self.session = session

    def index(self, article: Article) -> None:
        published = article.published
        assert published is not None
        self.session.execute(
            sa.text(
                "INSERT INTO article_search (article_id, category, title, body, tags) "
                "VALUES (:id, :category, :title, :body, :tags) "
                "ON CONFLICT (article_id) DO UPDATE SET category = excluded.category, "
                "title = excluded.title, body = excluded.body, tags = excluded.tags"
            ),
            _row(article),
        )

    def search(self, terms: list[str], category: str, limit: int) -> list[tuple[UUID, float]]:
        words = [term for term in terms if term not in _OPERATORS]
        if not words:
            return []
        rows = self.session.execute(
            sa.text(
                "SELECT article_id, ts_rank(document, query) AS rank "
                "FROM article_search, websearch_to_tsquery('english', :query) AS query "
                "WHERE document @@ query AND (:category = '' OR category = :category) "
                "ORDER BY rank DESC, article_id LIMIT :limit"
            ),
            {"query": " or ".join(words), "category": category, "limit": limit},
        )
        return [(row.article_id, float(row.rank)) for row in rows]


class SqliteArticleSearch:
    def __init__(self, session: Session) -> None:
        self.session = session

    def index(self, article: Article) -> None:
        self.session.execute(
            sa.text("DELETE FROM article_search WHERE article_id = :id"), {"id": str(article.id)}
        )
        self.session.execute(
            sa.text(
                "INSERT INTO article_search (article_id, category, title, body, tags) "
                "VALUES (:id, :category, :title, :body, :tags)"
            ),
            _row(article) | {"id": str(article.id)},
        )

    def search(self, terms: list[str], category: str, limit: int) -> list[tuple[UUID, float]]:
        if not terms:
            return []
        # bm25: lower is better; the title and tags weigh more than the body
        rows = self.session.execute(
            sa.text(
                "SELECT article_id, bm25(article_search, 0, 0, 10.0, 1.0, 10.0) AS rank "
                "FROM article_search WHERE article_search MATCH :query "
                "AND (:category = '' OR category = :category) "
                "ORDER BY rank, article_id LIMIT :limit"
            ),
            {
                "query": " OR ".join(f'"{term}"' for term in terms),
                "category": category,
                "limit": limit,
            },
        )
        return [(UUID(row.article_id), -float(row.rank)) for row in rows]


def _row(article: Article) -> dict[str, object]:
    published = article.published
    assert published is not None
    return {
        "id": article.id,
        "category": article.category,
        "title": published.text.title,
        "body": published.text.body,
        "tags": " ".join(article.tags),
    }
