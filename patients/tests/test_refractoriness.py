"""The IMWG 60-day rule and first relapse, on plain facts."""

from datetime import date, timedelta

from patients.refractoriness import LineFacts, first_relapse_date, line_is_refractory, refractory_drugs

LAST_DOSE = date(2022, 1, 1)


def line(number, drugs, end, progression):
    return LineFacts(number=number, drugs=frozenset(drugs), end=end, progression=progression)


def test_progression_on_therapy_is_refractory():
    assert line_is_refractory(end=LAST_DOSE, progression=LAST_DOSE - timedelta(days=30))


def test_progression_on_day_60_after_last_dose_is_refractory():
    assert line_is_refractory(end=LAST_DOSE, progression=LAST_DOSE + timedelta(days=60))


def test_progression_on_day_61_after_last_dose_is_not_refractory():
    assert not line_is_refractory(end=LAST_DOSE, progression=LAST_DOSE + timedelta(days=61))


def test_progression_on_a_line_without_end_date_is_refractory():
    assert line_is_refractory(end=None, progression=LAST_DOSE)


def test_a_line_without_progression_is_not_refractory():
    assert not line_is_refractory(end=None, progression=None)
    assert not line_is_refractory(end=LAST_DOSE, progression=None)


def test_refractory_drugs_name_the_first_line_that_made_them_refractory():
    lines = [
        line(3, ["pomalidomide", "dexamethasone"], None, date(2024, 5, 1)),
        line(1, ["bortezomib", "lenalidomide"], date(2020, 1, 1), date(2021, 1, 1)),  # 366 days: not refractory
        line(2, ["daratumumab", "lenalidomide"], date(2022, 3, 1), date(2022, 3, 20)),
    ]
    assert refractory_drugs(lines) == {"daratumumab": 2, "lenalidomide": 2, "pomalidomide": 3, "dexamethasone": 3}


def test_first_relapse_is_the_first_progression_in_line_order():
    lines = [
        line(2, ["carfilzomib"], None, date(2023, 6, 1)),
        line(1, ["lenalidomide"], date(2020, 1, 1), None),  # stopped for toxicity, no progression
    ]
    assert first_relapse_date(lines) == date(2023, 6, 1)
    assert first_relapse_date([]) is None


def test_a_drug_stopped_before_the_line_ended_is_judged_by_its_own_last_dose():
    # VRd induction, then lenalidomide maintenance until progression: Len-refractory, not bortezomib-refractory.
    maintenance = LineFacts(
        number=1,
        drugs=frozenset({"bortezomib", "lenalidomide"}),
        end=date(2023, 5, 1),
        progression=date(2023, 5, 20),
        drug_last_doses=(("bortezomib", date(2020, 6, 1)),),
    )
    assert maintenance.last_dose_of("bortezomib") == date(2020, 6, 1)
    assert maintenance.last_dose_of("lenalidomide") == date(2023, 5, 1)
    assert refractory_drugs([maintenance]) == {"lenalidomide": 1}
