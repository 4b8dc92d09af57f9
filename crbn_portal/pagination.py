"""The API's pagination (its own module: DRF imports it while loading its settings, before the viewsets)."""

from rest_framework import pagination


class Pagination(pagination.PageNumberPagination):
    """``?page=`` (from 1) and ``?page_size=`` (default PAGE_SIZE), so a lab system can fetch fewer, larger pages."""

    page_size_query_param = "page_size"
    max_page_size = 500
