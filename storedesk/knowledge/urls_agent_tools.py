"""Agent tool routes under /knowledge/ (namespace knowledge)."""

from django.urls import path

from storedesk.knowledge.views import agent_tools

urlpatterns = [
    path("gaps/", agent_tools.gaps, name="gaps"),
    path("gaps/draft/<int:number>/", agent_tools.gap_draft, name="gap_draft"),
    path("quick/", agent_tools.quick, name="quick"),
    path("articles/<int:article_id>/insert/", agent_tools.article_insert, name="article_insert"),
]
