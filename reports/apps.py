from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Relapse reports: drafting, review and sign-off, the signed PDF, and the clinician's worklist."""

    name = "reports"

    def ready(self) -> None:
        from patients import panels
        from patients.signals import demo_clearing, demo_seeded
        from rules.receivers import clear_demo_assessments
        from rules.signals import reassessment_finished

        from .board_selectors import decision_panel
        from .receivers import clear_demo_reports, flag_signed_reports, write_demo_boards, write_demo_reports

        reassessment_finished.connect(flag_signed_reports, dispatch_uid="reports.flag_signed_reports")
        # The tumour board's decisions on the patient page (patients cannot import reports; it offers panels).
        panels.register("reports.board_decisions", decision_panel)

        # Connected after variants and rules (INSTALLED_APPS order): the files are parsed and assessed by then.
        demo_seeded.connect(write_demo_reports, dispatch_uid="reports.write_demo_reports")
        demo_seeded.connect(write_demo_boards, dispatch_uid="reports.write_demo_boards")  # they discuss the reports
        # Receivers run in the order they were connected, but clearing must go the other way: reports PROTECT the
        # assessments rules deletes. So rules' receiver is connected again after this one.
        rules_connected = demo_clearing.disconnect(dispatch_uid="rules.clear_demo_assessments")
        demo_clearing.connect(clear_demo_reports, dispatch_uid="reports.clear_demo_reports")
        if rules_connected:
            demo_clearing.connect(clear_demo_assessments, dispatch_uid="rules.clear_demo_assessments")
