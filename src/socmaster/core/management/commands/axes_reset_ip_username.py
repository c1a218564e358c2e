from axes.management.commands.axes_reset_ip_username import Command as AxesCommand

from socmaster.core.management.auditing import audited_axes_reset

Command = audited_axes_reset(AxesCommand, "axes_reset_ip_username")
