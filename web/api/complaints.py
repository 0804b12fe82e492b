"""Complaints: the case with its stages, steps, open tasks and history."""
from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import func, select

from engine.errors import ComplaintNotFound
from models import Appeal, Complaint, Counterparty, Department, Responsible, db
from web import downloads, listing
from web.api.blueprint import Blueprint
from web.api.report_schemas import ComplaintListOut, ComplaintListQuery
from web.api.reports import file_answers
from web.api.schemas import ComplaintOut, HistoryOut
from web.queries import complaint_view, find_complaint, history

PREFIX = "/complaints"
blp = Blueprint("api_complaints", __name__, description="Complaints (претензии)")


@blp.route("")
class ComplaintList(MethodView):
    @blp.arguments(ComplaintListQuery, location="query")
    @blp.response(200, ComplaintListOut)
    @blp.doc(responses={"200": file_answers(ComplaintListOut)})
    def get(self, query: dict[str, Any]) -> Any:
        """Complaints newest first with the list page's filters; `format=csv|xlsx` exports every match."""
        filters = dict(query)
        filters["from"] = filters.pop("from_", None)
        if query["format"] != "json":
            return downloads.complaint_download(filters, query["format"], "complaints")
        stmt = listing.complaints(
            filters, Complaint.number, Complaint.registered_at, Counterparty.name.label("counterparty"),
            Counterparty.inn, Appeal.subject, Appeal.channel, Complaint.kind, Department.code.label("department"),
            func.coalesce(Responsible.person_name, Responsible.position).label("responsible"), Complaint.importance,
            Complaint.justification, Complaint.stage1_status, Complaint.stage2_status, Complaint.stage1_closed_at,
            listing.overdue_clause().label("overdue"))
        total = db.session.scalar(select(func.count()).select_from(listing.complaints(filters).order_by(None)
                                                                   .subquery()))
        page = db.session.execute(stmt.limit(query["per_page"]).offset((query["page"] - 1) * query["per_page"]))
        return {"total": total, "page": query["page"], "per_page": query["per_page"],
                "items": [row._asdict() for row in page]}


@blp.route("/<number>")
class ComplaintItem(MethodView):
    @blp.response(200, ComplaintOut)
    def get(self, number: str) -> dict[str, Any]:
        complaint = find_complaint(number)
        if complaint is None:
            raise ComplaintNotFound(f"No complaint {number}.")
        return complaint_view(complaint)


@blp.route("/<number>/history")
class ComplaintHistory(MethodView):
    @blp.response(200, HistoryOut)
    def get(self, number: str) -> dict[str, Any]:
        if find_complaint(number) is None:
            raise ComplaintNotFound(f"No complaint {number}.")
        return {"complaint": number, "events": history(number)}
