from axes.management.commands.axes_reset_logs import Command as AxesCommand

from socmaster.core.management.auditing import command_entry


class Command(AxesCommand):
    help = AxesCommand.help + " The reset is recorded in the audit log."

    def handle(self, *args, **options):
        super().handle(*args, **options)
        command_entry(
            "axes_reset_logs",
            record_type="axes.accessattempt",
            record_repr="log-in lock-outs reset",
            changes={
                "arguments": [str(a) for a in args]
                + [
                    f"{k}={v}"
                    for k, v in sorted(options.items())
                    if k in ("ip", "username", "age") and v
                ]
            },
        )
