"""The patient list and detail pages, their filters, and the treatment-timeline geometry."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from patients import timeline
from patients.refractoriness import REFRACTORY_WINDOW_DAYS
from patients.tests.factories import TEST_PASSWORD, PatientFactory, SampleFactory, TreatmentLineFactory

LIST_URL = reverse("patients:list")
LAST_DOSE = date(2022, 1, 10)


def detail_url(patient) -> str:
    return reverse("patients:detail", args=[patient.uuid])


def listed_study_ids(client, **params) -> list[str]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return [row.patient.study_id for row in response.context["rows"]]


@pytest.fixture
def clinician(client, world):
    client.force_login(world.users["clinician_a"])
    return client


# --- the list: scope, search and filters ---


def test_list_shows_only_own_institutions_patients(clinician, world):
    PatientFactory(institution=world.inst_a, study_id="NBH-001")
    PatientFactory(institution=world.inst_b, study_id="LCC-001")

    response = clinician.get(LIST_URL)

    assert [row.patient.study_id for row in response.context["rows"]] == ["NBH-001"]
    assertContains(response, "NBH-001")
    assertNotContains(response, "LCC-001")
    assertContains(response, "Showing 1-1 of 1 patients")


def test_search_by_study_id_matches_part_of_the_id(clinician, world):
    PatientFactory(institution=world.inst_a, study_id="NBH-0042")
    PatientFactory(institution=world.inst_a, study_id="NBH-0100")

    assert listed_study_ids(clinician, q="0042") == ["NBH-0042"]
    assert listed_study_ids(clinician, q="nbh-01") == ["NBH-0100"]


def test_mrn_search_finds_own_patient_but_does_not_leak_across_institutions(client, world):
    PatientFactory(institution=world.inst_a, study_id="NBH-001", mrn="MRN-777")
    PatientFactory(institution=world.inst_b, study_id="LCC-001", mrn="MRN-888")

    client.force_login(world.users["clinician_a"])
    assert listed_study_ids(client, q="MRN-777") == ["NBH-001"]
    assert listed_study_ids(client, q="MRN-888") == []

    # A superuser sees every patient, but is a member of neither institution, so MRNs stay opaque to them.
    client.force_login(world.users["superuser"])
    assert listed_study_ids(client, q="MRN-777") == []
    assert listed_study_ids(client, q="NBH") == ["NBH-001"]


def test_mrn_search_needs_the_whole_mrn(clinician, world):
    PatientFactory(institution=world.inst_a, study_id="NBH-001", mrn="MRN-777")

    assert listed_study_ids(clinician, q="MRN-7") == []
    assert listed_study_ids(clinician, q="mrn-777") == ["NBH-001"]


def test_filters_by_sex_iss_stage_and_presentation(clinician, world):
    PatientFactory(institution=world.inst_a, study_id="A", sex="M", iss_stage="III", presentation="extramedullary")
    PatientFactory(institution=world.inst_a, study_id="B", sex="F", iss_stage="III", presentation="medullary")
    PatientFactory(institution=world.inst_a, study_id="C", sex="M", iss_stage="I", presentation="extramedullary")

    assert listed_study_ids(clinician, sex="M") == ["A", "C"]
    assert listed_study_ids(clinician, iss_stage="III") == ["A", "B"]
    assert listed_study_ids(clinician, sex="M", iss_stage="III", presentation="extramedullary") == ["A"]


def test_institution_filter_offers_only_visible_institutions(clinician, world):
    PatientFactory(institution=world.inst_a, study_id="NBH-001")

    response = clinician.get(LIST_URL)

    assertContains(response, '<option value="NBH">Northbridge Hospital</option>', html=True)
    assertNotContains(response, "Lakeshore")


def test_institution_outside_scope_is_an_error_with_no_rows(clinician, world):
    PatientFactory(institution=world.inst_a, study_id="NBH-001")

    response = clinician.get(LIST_URL, {"institution": "LCC"})

    assert response.context["rows"] == []
    assertContains(response, "Select a valid choice")
    assertContains(response, "Some filters could not be applied")


def make_lenalidomide_patient(world, study_id, *, end, progression, drugs=("lenalidomide", "dexamethasone")):
    patient = PatientFactory(institution=world.inst_a, study_id=study_id)
    TreatmentLineFactory(
        patient=patient, start_date=date(2020, 1, 1), end_date=end, progression_date=progression, drugs=list(drugs)
    )
    return patient


def test_refractory_to_lenalidomide_applies_the_imwg_60_day_rule(clinician, world):
    window = timedelta(days=REFRACTORY_WINDOW_DAYS)
    make_lenalidomide_patient(world, "day-60", end=LAST_DOSE, progression=LAST_DOSE + window)
    make_lenalidomide_patient(world, "day-61", end=LAST_DOSE, progression=LAST_DOSE + window + timedelta(days=1))
    make_lenalidomide_patient(world, "on-therapy", end=LAST_DOSE, progression=LAST_DOSE - timedelta(days=30))
    make_lenalidomide_patient(world, "ongoing-progressed", end=None, progression=date(2021, 6, 1))
    make_lenalidomide_patient(world, "ongoing-responding", end=None, progression=None)
    make_lenalidomide_patient(world, "stopped-no-progression", end=LAST_DOSE, progression=None)
    make_lenalidomide_patient(world, "bortezomib-only", end=None, progression=date(2021, 6, 1), drugs=["bortezomib"])

    # A set: "on-therapy" and "ongoing-progressed" sort differently under SQLite's and PostgreSQL's collations.
    refractory = set(listed_study_ids(clinician, refractory_to="lenalidomide"))
    assert refractory == {"day-60", "on-therapy", "ongoing-progressed"}


def test_refractory_filter_matches_a_later_line_and_lists_each_patient_once(clinician, world):
    patient = PatientFactory(institution=world.inst_a, study_id="two-lines")
    for number in (1, 2):
        TreatmentLineFactory(
            patient=patient,
            line_number=number,
            start_date=date(2020 + number, 1, 1),
            end_date=date(2020 + number, 6, 1),
            progression_date=date(2020 + number, 6, 15),
            drugs=["pomalidomide"],
        )

    assert listed_study_ids(clinician, refractory_to="pomalidomide") == ["two-lines"]
    assert listed_study_ids(clinician, refractory_to="lenalidomide") == []


def test_refractory_filter_offers_only_crbn_dependent_drugs(clinician, world):
    response = clinician.get(LIST_URL)

    assertContains(response, '<option value="pomalidomide">pomalidomide</option>', html=True)
    assertNotContains(response, '<option value="bortezomib">')
    assert listed_study_ids(clinician, refractory_to="bortezomib") == []


def test_list_shows_line_count_and_crbn_refractoriness_in_line_order(clinician, world):
    patient = PatientFactory(institution=world.inst_a, study_id="NBH-001")
    TreatmentLineFactory(
        patient=patient,
        line_number=1,
        end_date=date(2020, 1, 1),
        progression_date=date(2020, 2, 1),
        drugs=["lenalidomide", "bortezomib"],
    )
    TreatmentLineFactory(
        patient=patient,
        line_number=2,
        start_date=date(2020, 2, 15),
        progression_date=date(2021, 1, 1),
        drugs=["pomalidomide"],
    )

    response = clinician.get(LIST_URL)

    (row,) = response.context["rows"]
    assert row.line_count == 2
    assert row.refractory_to == (("Len", "lenalidomide"), ("Pom", "pomalidomide"))
    assertContains(response, '<abbr title="lenalidomide">Len</abbr>, <abbr title="pomalidomide">Pom</abbr>', html=True)


def test_list_paginates_25_per_page_with_counts(clinician, world):
    for number in range(30):
        PatientFactory(institution=world.inst_a, study_id=f"NBH-{number:03d}")

    first = clinician.get(LIST_URL, {"sex": "F"})
    second = clinician.get(LIST_URL, {"sex": "F", "page": 2})

    assertContains(first, "Showing 1-25 of 30 patients")
    assertContains(first, 'href="?sex=F&amp;page=2"')
    assertContains(second, "Showing 26-30 of 30 patients")
    assert [row.patient.study_id for row in second.context["rows"]] == [f"NBH-{n:03d}" for n in range(25, 30)]


def test_list_page_queries_do_not_grow_with_patients(clinician, world, django_assert_max_num_queries):
    for number in range(30):
        patient = PatientFactory(institution=world.inst_a, study_id=f"NBH-{number:03d}")
        TreatmentLineFactory(
            patient=patient,
            line_number=1,
            end_date=date(2020, 6, 1),
            progression_date=date(2020, 7, 1),
            drugs=["lenalidomide", "dexamethasone"],
        )
        TreatmentLineFactory(patient=patient, line_number=2, start_date=date(2020, 8, 1), drugs=["pomalidomide"])

    # Session, user, drug choice, count, patients, lines, their drugs (two), audit, nav memberships, the two
    # choice lists: a dozen at most, however many patients are on the page.
    with django_assert_max_num_queries(12):
        response = clinician.get(LIST_URL, {"refractory_to": "lenalidomide", "q": "NBH"})

    assert len(response.context["rows"]) == 25
    assertContains(response, "Showing 1-25 of 30 patients")
    assertContains(response, '<abbr title="lenalidomide">Len</abbr>', count=25, html=True)


# --- the detail page ---


@pytest.fixture
def full_patient(world):
    patient = PatientFactory(
        institution=world.inst_a,
        study_id="NBH-0007",
        mrn="MRN-SECRET-1",
        year_of_birth=1951,
        sex="M",
        iss_stage="II",
        presentation="extramedullary",
        del_17p=True,
        t_4_14=False,
    )
    TreatmentLineFactory(
        patient=patient,
        line_number=1,
        regimen="VRd",
        start_date=date(2019, 4, 1),
        end_date=date(2021, 6, 30),
        best_response="VGPR",
        progression_date=date(2021, 7, 15),
        drugs=["bortezomib", "lenalidomide", "dexamethasone"],
    )
    TreatmentLineFactory(
        patient=patient,
        line_number=2,
        regimen="DaraPd",
        start_date=date(2021, 8, 1),
        best_response="PR",
        drugs=["daratumumab", "pomalidomide", "dexamethasone"],
    )
    SampleFactory(patient=patient, accession="ACC-REL-1", purity_pct=62)
    return patient


def test_detail_shows_demographics_lines_and_samples(clinician, full_patient):
    response = clinician.get(detail_url(full_patient))

    assertContains(response, "<h1>NBH-0007</h1>", html=True)
    assertContains(response, "<div><dt>Year of birth</dt><dd>1951</dd></div>", html=True)
    assertContains(response, "<div><dt>Disease presentation</dt><dd>Extramedullary disease</dd></div>", html=True)
    assertContains(response, "<div><dt>First relapse</dt><dd>15 Jul 2021</dd></div>", html=True)
    assertContains(response, "<td>bortezomib, dexamethasone, lenalidomide</td>", html=True)
    assertContains(response, "<td>Ongoing</td>", html=True)
    # Line 1 progressed 15 days after its last dose: refractory to each of its drugs; line 2 is ongoing.
    assertContains(response, "<td>bortezomib, dexamethasone, lenalidomide</td>", count=2, html=True)
    assertContains(response, "<td>No</td>", count=1, html=True)
    assertContains(response, '<abbr title="Very good partial response">VGPR</abbr>', html=True)
    sample = full_patient.samples.get()
    assertContains(response, f'<th scope="row"><a href="/samples/{sample.uuid}/">ACC-REL-1</a></th>', html=True)
    assertContains(response, '<td class="num">62</td>', html=True)


def test_detail_distinguishes_untested_cytogenetics_from_absent(clinician, full_patient):
    response = clinician.get(detail_url(full_patient))

    assertContains(response, "<strong>del(17p)</strong>", html=True)
    assertContains(response, "Not detected")  # t(4;14) was tested and absent
    assertContains(response, "Not tested")  # t(14;16) and gain(1q) were never tested


def test_detail_summarises_refractoriness_per_drug(clinician, full_patient):
    response = clinician.get(detail_url(full_patient))

    groups = {group.heading: group.drugs for group in response.context["drug_summary"]}
    crbn = {status.name: status for status in groups["CRBN-dependent (IMiDs and CELMoDs)"]}
    assert crbn["lenalidomide"].refractory_since == 1
    assert crbn["pomalidomide"].received and crbn["pomalidomide"].refractory_since is None
    assert not crbn["iberdomide"].received
    assertContains(response, "Refractory since line 1")
    assertContains(response, "Received, not refractory")
    assert [status.name for status in groups["Other drugs received"]] == ["bortezomib", "daratumumab", "dexamethasone"]


def test_detail_draws_an_accessible_timeline(clinician, full_patient):
    response = clinician.get(detail_url(full_patient))

    assertContains(response, 'role="img"')
    assertContains(response, '<title id="timeline-title">Treatment timeline of NBH-0007</title>', html=True)
    assertContains(response, "Line 1, VRd: from 2019-04-01 to 2021-06-30; progression 2021-07-15; refractory to")
    assertContains(response, 'class="timeline__bar timeline__bar--refractory"', count=2)  # the VRd bar and the legend
    assertContains(response, "DaraPd · ongoing")


def test_detail_shows_mrn_to_a_member_of_the_institution(clinician, full_patient):
    assertContains(clinician.get(detail_url(full_patient)), "MRN-SECRET-1")


def test_mrn_is_hidden_from_a_superuser_who_is_not_a_member(client, world, full_patient):
    client.force_login(world.users["superuser"])

    response = client.get(detail_url(full_patient))

    assertContains(response, "NBH-0007")
    assertNotContains(response, "MRN-SECRET-1")
    assertNotContains(response, "Local MRN")


def test_another_institutions_patient_is_404(client, world, full_patient):
    client.force_login(world.users["clinician_b"])

    assert client.get(detail_url(full_patient)).status_code == 404


@pytest.mark.parametrize("url_name", ["list", "detail"])
def test_anonymous_visitor_is_redirected_to_login(client, full_patient, url_name):
    url = detail_url(full_patient) if url_name == "detail" else LIST_URL

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_researcher_sees_an_empty_list_and_404_on_detail(client, world, full_patient):
    client.force_login(world.users["researcher_a"])

    response = client.get(LIST_URL)
    assert response.context["rows"] == []
    assertContains(response, "No patients to show")
    assert client.get(detail_url(full_patient)).status_code == 404


def test_study_id_holding_html_is_escaped(clinician, world):
    patient = PatientFactory(institution=world.inst_a, study_id="<script>x</script>")

    for response in (clinician.get(LIST_URL), clinician.get(detail_url(patient))):
        assertNotContains(response, "<script>x</script>")
        assertContains(response, "&lt;script&gt;x&lt;/script&gt;")


# --- the frame: login page and navigation ---


def test_login_page_renders_with_labelled_fields(client):
    response = client.get(reverse("login"))

    assertContains(response, "<h1>Log in</h1>", html=True)
    assertContains(response, '<label for="id_username">Username</label>', html=True)
    assertContains(response, '<label for="id_password">Password</label>', html=True)
    assertContains(response, "Decision support only; demonstration data")


def test_login_with_a_wrong_password_shows_the_error(client, world):
    response = client.post(reverse("login"), {"username": "clinician_a", "password": "wrong"})

    assertContains(response, 'role="alert"')
    assertContains(response, "Please enter a correct username and password")


def test_login_with_the_right_password_lands_on_the_patient_list(client, world):
    response = client.post(reverse("login"), {"username": "clinician_a", "password": TEST_PASSWORD}, follow=True)

    assertContains(response, "<h1>Patients</h1>", html=True)


def test_nav_shows_user_institution_and_logout_but_admin_only_to_staff(client, world):
    client.force_login(world.users["clinician_a"])
    response = client.get(LIST_URL)
    assertContains(response, '<abbr title="Northbridge Hospital">NBH</abbr>', html=True)
    assertContains(response, f'<form class="site-user__logout" method="post" action="{reverse("logout")}">')
    assertNotContains(response, reverse("admin:index"))

    client.force_login(world.users["superuser"])
    assertContains(client.get(LIST_URL), f'href="{reverse("admin:index")}"')


def test_logout_button_logs_the_user_out(clinician):
    response = clinician.post(reverse("logout"), follow=True)

    assertContains(response, "<h1>Log in</h1>", html=True)
    assert clinician.get(LIST_URL).status_code == 302


# --- timeline geometry (pure) ---

TODAY = date(2024, 3, 1)


def span(number, start, end=None, progression=None, refractory_drugs=()):
    return timeline.LineSpan(
        number=number,
        regimen=f"R{number}",
        start=start,
        end=end,
        progression=progression,
        refractory_drugs=refractory_drugs,
    )


def test_timeline_of_no_lines_is_none():
    assert timeline.build_timeline([], today=TODAY) is None


def test_timeline_axis_runs_between_whole_years_with_a_tick_each_year():
    figure = timeline.build_timeline([span(1, date(2020, 7, 1), end=date(2021, 7, 1))], today=TODAY)

    assert [tick.label for tick in figure.ticks] == ["2020", "2021", "2022"]
    assert figure.ticks[0].x == timeline.LEFT
    assert figure.ticks[-1].x == pytest.approx(timeline.WIDTH - timeline.RIGHT)


def test_timeline_bars_share_one_axis_and_stack_in_line_order():
    lines = [span(2, date(2021, 1, 1), end=date(2021, 12, 31)), span(1, date(2020, 1, 1), end=date(2020, 12, 31))]

    first, second = timeline.build_timeline(lines, today=TODAY).bars

    assert (first.number, second.number) == (1, 2)
    assert first.x == timeline.LEFT
    assert second.x == pytest.approx(first.x + first.width, abs=1)
    assert second.y == first.y + timeline.ROW_HEIGHT


def test_timeline_draws_an_ongoing_line_to_today_with_an_arrowhead():
    figure = timeline.build_timeline([span(1, date(2023, 1, 1))], today=TODAY)

    (bar,) = figure.bars
    today_x = timeline.Axis(first=date(2023, 1, 1), last=date(2025, 1, 1)).x(TODAY)
    assert bar.ongoing
    assert bar.x + bar.width == pytest.approx(today_x)
    assert bar.ongoing_points.startswith(f"{today_x:.1f},")
    assert "ongoing" in bar.label


def test_timeline_marks_progression_and_refractory_lines_by_label_not_colour_alone():
    lines = [
        span(1, date(2020, 1, 1), end=date(2020, 12, 1), progression=date(2021, 1, 15), refractory_drugs=("len",)),
        span(2, date(2021, 2, 1), end=date(2021, 6, 1)),
    ]

    refractory, plain = timeline.build_timeline(lines, today=TODAY).bars

    assert refractory.refractory and refractory.label == "R1 · refractory"
    assert refractory.progression_points
    assert not plain.refractory and plain.label == "R2"
    assert plain.progression_points == ""


def test_timeline_description_reads_every_line():
    lines = [
        span(1, date(2020, 1, 1), end=date(2020, 12, 1), progression=date(2021, 1, 15), refractory_drugs=("len",)),
        span(2, date(2021, 2, 1)),
    ]

    figure = timeline.build_timeline(lines, today=TODAY)

    assert figure.description == (
        "Line 1, R1: from 2020-01-01 to 2020-12-01; progression 2021-01-15; refractory to len. "
        "Line 2, R2: from 2021-02-01 ongoing."
    )


def test_timeline_keeps_a_label_near_the_right_edge_inside_the_figure():
    lines = [span(1, date(2010, 1, 1), end=date(2010, 3, 1)), span(2, date(2023, 11, 1), end=date(2023, 12, 1))]

    late = timeline.build_timeline(lines, today=TODAY).bars[1]

    assert (late.label_x, late.label_anchor) == (timeline.WIDTH - timeline.RIGHT, "end")


def test_timeline_thins_year_ticks_over_long_histories():
    figure = timeline.build_timeline([span(1, date(2000, 1, 1), end=date(2023, 1, 1))], today=TODAY)

    assert len(figure.ticks) <= timeline.MAX_TICKS
    assert figure.ticks[0].label == "2000"


def test_timeline_gives_a_one_day_line_a_visible_width():
    (bar,) = timeline.build_timeline([span(1, date(2020, 5, 1), end=date(2020, 5, 1))], today=TODAY).bars

    assert bar.width == timeline.MIN_BAR_WIDTH
