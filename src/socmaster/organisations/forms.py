from django import forms
from django.core.exceptions import ValidationError

from socmaster.core.widgets import GovukCheckboxSelectMultiple

from .choices import Role
from .models import Organisation


class UserCreateForm(forms.Form):
    username = forms.CharField(label="User name", max_length=150)
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    job_title = forms.CharField(max_length=120, required=False)
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    roles = forms.MultipleChoiceField(choices=Role.choices, widget=GovukCheckboxSelectMultiple)
    password = forms.CharField(
        widget=forms.PasswordInput, help_text="At least 12 characters, not a common password."
    )

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        if not value:
            raise ValidationError("Enter a user name.")
        return value


class RolesForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none())
    roles = forms.MultipleChoiceField(choices=Role.choices, widget=GovukCheckboxSelectMultiple)

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )
