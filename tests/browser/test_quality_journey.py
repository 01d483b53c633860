"""The quality and privacy report of a version in a real browser: from the version of a dataset made from a
profiled sample to its report page, with the scores, the privacy figures and the charts a member reads."""

import re

import pytest

from ..profiling.conftest import SECRET_NAME, customers_csv

pytestmark = [pytest.mark.browser]


@pytest.fixture
def profiled_version(teams):
    """A sample, its succeeded profile, the dataset made from its spec, and a generated version of it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.datasets import services as datasets
    from apps.profiling import services as profiling
    from apps.profiling.models import Profile, ProfileStatus

    tenant, owner = teams["a"], teams["users"]["owner"]
    sample = profiling.sample_upload(
        tenant=tenant,
        actor=owner,
        table_name="customers",
        uploaded=SimpleUploadedFile("customers.csv", customers_csv(400)),
    )
    profile = profiling.profile_create(tenant=tenant, actor=owner, samples=[sample])
    profiling.profile_run(profile_id=profile.pk)
    profile = Profile.objects.get(pk=profile.pk)
    assert profile.status == ProfileStatus.SUCCEEDED, profile.error
    dataset = profiling.profile_dataset(profile=profile, actor=owner, name="customers look-alike")
    version, _ = datasets.version_create(dataset=dataset, actor=owner, rows={"customers": 400})
    return datasets.version_generate(version=version, actor=owner)


def test_owner_reads_the_quality_and_privacy_report_of_a_version(teams, profiled_version, journey):
    from selenium.webdriver.common.by import By

    version = profiled_version
    j = journey("quality")
    j.sign_in(teams["users"]["owner"])
    j.go(f"/console/datasets/datasetversion/{version.pk}/change/")
    link = j.find(f".object-tools a[href$='/datasetversion/{version.pk}/quality/']")
    assert link.text.lower() == "quality report"
    link.click()
    # Computed by a task: the page shows its progress and refreshes itself until the report is ready.
    j.wait_for_text("Overall quality score", timeout=60)
    j.shot("quality-report")

    overall = j.find("p.overall strong").text
    assert 0 < float(overall) <= 1
    properties = {
        row.find_element(By.CSS_SELECTOR, "td").text: row.find_elements(By.CSS_SELECTOR, "td")[1].text
        for row in j.all("#content-main table:first-of-type tr")
        if row.find_elements(By.CSS_SELECTOR, "td")
    }
    assert {"column shapes", "column pair trends"} <= set(properties)
    assert all(re.fullmatch(r"\d\.\d{3}|n/a", score) for score in properties.values())

    # Privacy: the exact-copy rate, the distances to the closest record, and how each PII column is made.
    text = j.text
    assert "Table customers" in text and "Privacy" in text
    assert re.search(r"Exact-copy rate\s+\d\.\d{3}", text)
    assert re.search(r"Median distance to closest record, synthetic\s+\d\.\d{3}", text)
    assert re.search(r"Median distance to closest record, holdout\s+\d\.\d{3}", text)
    assert "Personal data columns" in text and "first_name" in text and "email" in text and "faker" in text

    # Charts: a real/synthetic histogram per scored column, drawn with bars of both colours, and the two
    # correlation heat maps.
    histograms = j.all("svg.hist")
    captions = [figure.text for figure in j.all("figure figcaption")]
    assert len(histograms) >= 3
    assert any(caption.startswith("income: KSComplement") for caption in captions)
    assert any(caption.startswith("segment: TVComplement") for caption in captions)
    for svg in histograms:
        assert svg.size["width"] > 100 and svg.size["height"] > 100  # drawn, not an empty box
        fills = {rect.get_attribute("fill") for rect in svg.find_elements(By.CSS_SELECTOR, "rect")}
        assert {"#1f5f99", "#e07b24"} <= fills
    swatches = j.all("p.key span")  # the legend says which colour is the sample's
    assert len(swatches) == 2 and all(swatch.size["width"] >= 10 for swatch in swatches)
    assert j.find("div.cols").value_of_css_property("display") == "flex"  # charts side by side
    heat_maps = j.all("svg.heat")
    assert len(heat_maps) == 2 and all(svg.find_elements(By.CSS_SELECTOR, "rect") for svg in heat_maps)
    assert "Sample" in captions and "Synthetic" in captions
    assert SECRET_NAME not in j.driver.page_source  # no value of the sample on the page

    download = j.find("a.button[href$='?download=html']")
    assert f"/datasets/{version.dataset_id}/versions/{version.number}/quality/" in download.get_attribute("href")


def test_a_viewer_who_may_not_view_the_sample_is_told_why(teams, profiled_version, journey):
    j = journey("quality-viewer")
    j.sign_in(teams["users"]["viewer"])
    j.go(f"/console/datasets/datasetversion/{profiled_version.pk}/quality/")
    j.wait_for(".errornote")
    assert "sample" in j.find(".errornote").text
    assert not j.all("svg.hist") and "Overall quality score" not in j.text
