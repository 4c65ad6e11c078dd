"""The support services' exports, in data·inclusion's schema (support/exports.py)."""

from __future__ import annotations

from core.export_views import ExportView
from support.exports import SERVICES, STRUCTURES
from support.filters import SupportServiceFilterSet, SupportStructureFilterSet
from support.models import SupportService, SupportStructure


class ServiceExportView(ExportView):
    filterset_class = SupportServiceFilterSet
    export = SERVICES

    def get_queryset(self):
        return SupportService.objects.select_related("structure").order_by("pk")


class StructureExportView(ExportView):
    filterset_class = SupportStructureFilterSet
    export = STRUCTURES

    def get_queryset(self):
        return SupportStructure.objects.order_by("pk")
