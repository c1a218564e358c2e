"""An offline password-strength check (zxcvbn) alongside Django's own validators."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

# zxcvbn truncates long input itself; this bounds the work done on a pasted essay.
MAX_CHECKED_LENGTH = 100


class StrengthValidator:
    """Refuse a password zxcvbn scores below ``min_score`` (0-4; 3 resists offline guessing).

    zxcvbn knows keyboard runs, repeats, sequences, dates, common passwords, names and words,
    so it catches ``qwertyuiopas`` that passes a length rule and the common-password list.
    """

    def __init__(self, min_score: int = 3):
        self.min_score = min_score

    def validate(self, password, user=None):
        inputs = []
        if user is not None:
            for field in ("username", "first_name", "last_name", "email"):
                value = getattr(user, field, "") or ""
                if value:
                    inputs.append(str(value))
        result = zxcvbn(password[:MAX_CHECKED_LENGTH], user_inputs=inputs)
        if result["score"] >= self.min_score:
            return
        feedback = result["feedback"]
        advice = " ".join(
            part
            for part in [feedback.get("warning") or "", *feedback.get("suggestions", [])]
            if part
        )
        raise ValidationError(
            "This password is too easy to guess. %(advice)s",
            code="password_too_weak",
            params={"advice": advice or "Use three or four uncommon words together."},
        )

    def get_help_text(self):
        return (
            "Your password must not be easy to guess: avoid keyboard runs, repeats, dates, names "
            "and common passwords; three or four uncommon words together work well."
        )
