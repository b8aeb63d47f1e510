"""Stored embeddings for the optional semantic ranking (search/semantic.py).

Rows exist only where the `storedesk[semantic]` extra is installed; without it the table
stays empty and search is text only.
"""

from __future__ import annotations

from django.db import models

from storedesk.knowledge.models.article import ArticleTranslation


class TranslationEmbedding(models.Model):
    translation = models.OneToOneField(
        ArticleTranslation, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    # Which model made the vector and from which text: a vector is recomputed when either
    # changes, and vectors of another model are never compared with a query.
    model_id = models.CharField(max_length=64)
    text_hash = models.CharField(max_length=64)
    vector = models.BinaryField()  # float32, L2-normalised, native byte order
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"embedding of {self.translation_id}"
