"""The built-in twin-stages plugin (Korea's four smart-city stages, services, suggestions) through twin.stages."""

from __future__ import annotations


import pyarrow as pa
import pytest

from twin import stages as st
from twin.layerdata import ImportReport, LayerData
from twin.plugins.manifest import Manifest
from twin.plugins.registry import PluginRegistry



def test_four_stages_from_the_builtin_plugin():
    stages = st.stages()
    assert [s.number for s in stages] == [1, 2, 3, 4]
    assert all(s.plugin == "twin-stages" and s.color.startswith("#") and s.description for s in stages)
    one, two, three, four = stages
    assert "gas explosions" in one.description and "underground" in one.title.lower()
    assert {"Hwaseong Dongtan", "Seongnam Pangyo", "Suwon Gwanggyo"} <= set(two.places)
    assert "CCTV" in two.examples and any("ITS" in e for e in two.examples)
    assert "112 police" in three.description and "119 fire" in three.description
    assert set(four.places) == {"Sejong 5-1 Living Zone", "Busan Eco Delta City"}
    assert {"IoT sensors", "Living Lab", "city data hub"} <= set(four.examples)
    assert st.stage(3).title_ko == "스마트시티 통합플랫폼"
    assert len({s.color for s in stages}) == 4
    with pytest.raises(KeyError, match=r"no stage 5 \(known: 1, 2, 3, 4\)"):
        st.stage(5)


def test_services_have_colours_and_descriptions():
    services = {s.id: s for s in st.services()}
    assert {"infrastructure", "traffic", "safety", "environment", "energy", "mobility", "citizen"} <= set(services)
    assert len({s.color for s in services.values()}) == len(services)
    assert st.service("Safety").title_ko == "안전"
    assert st.service_color("environment") == services["environment"].color
    assert st.service_color("water quality (free text)") == st.UNKNOWN_COLOR
    assert st.service_color(None) == st.UNKNOWN_COLOR
    with pytest.raises(KeyError, match="no service 'nope'"):
        st.service("nope")


def test_suggestion_rules_name_known_stages_and_services():
    services = {s.id for s in st.services()}
    rules = [c for c in PluginRegistry().contributions("suggestions") if c.plugin == "twin-stages"]
    assert len(rules) >= 10
    for rule in rules:
        assert rule.fields.get("service") in services | {None}, rule.id
        assert rule.fields.get("stage") in (1, 2, 3, 4, None), rule.id


@pytest.mark.parametrize(
    ("name", "stage", "service"),
    [
        # the shared data set's files (see ../shared/data/SOURCES.md)
        ("osan_cctv.csv", 2, "safety"),
        ("osan_traffic_enforcement_cameras.csv", 2, "traffic"),
        ("osan_bus_stops.csv", 2, "mobility"),
        ("osan_road_network_lv6.geojson", 2, "traffic"),
        ("osan_link_avg_speed_2018.csv", 2, "traffic"),
        ("osan_traffic_accidents_taas.csv", 3, "safety"),
        ("busan_accident_risk_sites_2020.csv", 3, "safety"),
        ("seoul_sdot_iot_sensor_locations.csv", 4, "environment"),
        ("seoul_ddareungi_bike_stations.csv", None, "mobility"),
        ("seoul_jamsil_osm_buildings.osm", None, "planning"),
        ("zurich_lod2_subset_v1.1.city.json", None, "planning"),
        ("gtfs_caltrain_2017-07-24.zip", None, "mobility"),
        ("fcd.xml", None, "traffic"),
        ("서울시_지하시설물_상수도.shp", 1, "infrastructure"),
        ("세종_리빙랩_참여.csv", 4, "citizen"),
        ("random_numbers.csv", None, None),
    ],
)
def test_suggestions_for_file_names(name, stage, service):
    suggestion = st.suggest(name)
    assert (suggestion.stage, suggestion.service) == (stage, service)
    assert bool(suggestion) == (stage is not None or service is not None)


def test_columns_and_kinds_complete_a_name_match():
    # school zones: the name says safety; the CCTV columns say stage 2
    suggestion = st.suggest("korea_school_zones_national_cp949.csv", columns=["대상시설명", "CCTV설치여부", "CCTV설치대수"])
    assert (suggestion.stage, suggestion.service) == (2, "safety")
    assert suggestion.service_reason == "School zones: file name matches '*school_zone*'"
    assert suggestion.stage_reason == "CCTV cameras: column 'CCTV설치여부' matches '*cctv*'"
    assert suggestion.describe() == ("stage 2 (CCTV cameras: column 'CCTV설치여부' matches '*cctv*'); "
                                     "service 'safety' (School zones: file name matches '*school_zone*')")
    sensors = st.suggest("readings.csv", kinds=["sensors"])
    assert (sensors.stage, sensors.service) == (4, "environment")
    assert sensors.describe() == "stage 4, service 'environment' (IoT sensors: layer kind is 'sensors')"
    assert st.suggest("stations.csv", columns=["PM2.5", "pm10"]).stage == 4


def test_suggest_for_data_reads_kinds_and_columns_of_every_table():
    report = ImportReport(source="x")
    features = pa.table({"object_id": ["a"], "geometry": pa.array([None], pa.binary())})
    readings = LayerData(kind="sensors", features=features, crs="EPSG:4326", report=report,
                         tables={"track": pa.table({"fid": [0], "PM10": [30.0]})})
    suggestion = st.suggest_for_data("upload.csv", [readings])
    assert (suggestion.stage, suggestion.service) == (4, "environment")
    assert "file name" not in suggestion.stage_reason


def test_plugins_add_rules_and_priority_wins(fake_site):
    reg = fake_site.registry("twin-fake-good")
    assert st.suggest("kiosk_list.csv", registry=reg).describe() == (
        "stage 4, service 'citizen' (Fake kiosks: file name matches '*kiosk*')")
    urgent = Manifest.from_toml('name = "urgent"\n[[suggestions]]\nid = "u"\ntitle = "Urgent"\nservice = "energy"\n'
                                'priority = 5\nkinds = ["points"]\n')
    reg.register_manifest(urgent)
    suggestion = st.suggest("osan_cctv.csv", kinds=["points"], registry=reg)
    assert (suggestion.stage, suggestion.service) == (2, "energy")  # priority beats a name match, per field


def test_without_the_stages_plugin_nothing_breaks():
    reg = PluginRegistry()
    reg.disable("twin-stages", "switched off for the test")
    assert st.stages(registry=reg) == [] and st.services(registry=reg) == []
    assert not st.suggest("osan_cctv.csv", registry=reg)
    with pytest.raises(KeyError, match="twin-stages plugin disabled"):
        st.stage(1, registry=reg)
    assert st.service_color("safety", registry=reg) == st.UNKNOWN_COLOR
