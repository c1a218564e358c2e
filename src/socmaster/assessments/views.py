"""Assessment pages: draft, view with every figure explained, submit, moderate or return."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from socmaster.core import policy
from socmaster.core.forms import style_form
from socmaster.core.views import form_page, open_record
from socmaster.threats.models import Threat

from . import services
from .choices import AssessmentStatus
from .forms import AssessmentForm, ReturnForm
from .models import Assessment


def _get(request, pk) -> Assessment:
    assessment = (
        Assessment.objects.visible_to(request.user)
        .select_related("threat", "threat__owner", "scheme", "assessor", "moderator")
        .filter(pk=pk)
        .first()
    )
    if assessment is None:
        raise Http404("No such assessment.")
    return assessment


@login_required
def assessment_create(request, reference):
    threat = policy.get_or_404(
        Threat.objects.select_related("owner"), request.user, reference=reference
    )
    if not services.may_assess(request.user, threat):
        raise PermissionDenied(
            "Only the owning organisation or a ROCTA assessor of its region may assess it."
        )
    scheme = services.current_scheme()
    previous = threat.assessments.order_by("-version_number").first()
    initial = {}
    if previous is not None:  # a re-assessment starts from the last answers
        initial = {f"factor__{k}": v for k, v in previous.answers.items()}
    form = style_form(AssessmentForm(request.POST or None, scheme_version=scheme, initial=initial))

    def save(data):
        assessment = services.create_assessment(
            request.user,
            threat,
            answers=form.answers(),
            evidence_from=data["evidence_from"],
            evidence_to=data["evidence_to"],
            review_due=data["review_due"],
            whole_threat=data["whole_threat"],
            partial_justification=data["partial_justification"],
            summary=data["summary"],
            scheme=scheme,
        )
        messages.success(
            request,
            f"Draft assessment version {assessment.version_number} saved: "
            f"Tier {assessment.tier}, score {assessment.score}.",
        )
        return redirect(assessment.get_absolute_url())

    return form_page(
        request,
        form,
        save,
        template="assessments/form.html",
        context={"threat": threat, "scheme": scheme, "previous": previous},
    )


@login_required
def assessment_detail(request, pk):
    assessment = _get(request, pk)
    if (redirect_to := open_record(request, assessment)) is not None:
        return redirect_to
    return _detail(request, assessment, style_form(ReturnForm()))


def _detail(request, assessment: Assessment, return_form, status: int = 200):
    return render(
        request,
        "assessments/detail.html",
        {
            "a": assessment,
            "figures": assessment.result.get("figures", []),
            "explanation": assessment.result.get("explanation", []),
            "answers": _answer_rows(assessment),
            "may_submit": assessment.is_editable
            and services.may_assess(request.user, assessment.threat),
            "may_moderate": assessment.status == AssessmentStatus.SUBMITTED
            and services.may_moderate(request.user, assessment),
            "return_form": return_form,
        },
        status=status,
    )


def _answer_rows(assessment: Assessment) -> list[dict]:
    scheme = assessment.scheme.engine_scheme()
    rows = []
    for factor in scheme.factors:
        chosen = assessment.answers.get(factor.key)
        answer = next((a for a in factor.answers if a.key == chosen), None)
        rows.append(
            {
                "group": factor.group,
                "factor": factor.label,
                "answer": answer.label if answer else chosen,
                "value": answer.value if answer else None,
            }
        )
    return rows


@login_required
def assessment_transition(request, pk, action):
    assessment = _get(request, pk)
    if request.method != "POST":
        return redirect(assessment.get_absolute_url())
    try:
        if action == "submit":
            services.submit_assessment(request.user, assessment)
            messages.success(request, "Submitted for moderation.")
        elif action == "moderate":
            services.moderate_assessment(request.user, assessment)
            messages.success(request, "Moderated: the threat now carries this score and tier.")
        elif action == "return":
            services.return_assessment(
                request.user, assessment, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Returned to the assessor.")
        else:
            raise Http404("No such action.")
    except ValidationError as exc:
        if action == "return":
            # Shown on the return form, with the GOV.UK error summary, not as a banner.
            form = style_form(ReturnForm(request.POST))
            form.is_valid()
            for name, errors in exc.message_dict.items():
                if name not in form.errors:
                    form.add_error(name if name in form.fields else None, errors)
            return _detail(request, assessment, form, status=400)
        messages.error(request, " ".join(" ".join(v) for v in exc.message_dict.values()))
    return redirect(assessment.get_absolute_url())


@login_required
def moderation_queue(request):
    """Submitted assessments the user may moderate (their region, not their own)."""
    queue = services.moderation_queue(request.user).select_related(
        "threat", "threat__owner", "assessor"
    )
    page = Paginator(queue, 25).get_page(request.GET.get("page"))
    return render(
        request, "assessments/queue.html", {"page_obj": page, "querystring_without_page": ""}
    )
