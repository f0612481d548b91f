"""Reads for the gisement report, one module per part; every public name is re-exported here
so ``from rapports.selectors import X`` works whichever module holds X.

- ``scope``: the period, the report's subject checked against the user's scope, and the
  donations and devices they cover;
- ``figures``: the device figures of a set of donations, additive across donations (what
  ``DonationSummary`` stores);
- ``gisement``: the gisement report itself (``gisement_report``) and its rows;
- ``annex``: the certificate annex, one line per erasure;
- ``open_data``: the open data device rows;
- ``households``: the households equipped by a set of donations, live or from its summary
  (``HouseholdSummary``);
- ``home``: what the home page shows a funder and the coordination.
"""

from ..disclosure import SMALL_COUNT, small
from .annex import ANNEX_COLUMNS, ANNEX_PAGE_SIZE, annex_page, annex_rows
from .figures import (
    Outcome,
    add_figures,
    device_figures,
    empty_figures,
    outcome_expression,
    percent,
)
from .gisement import (
    FAILURE_FOLLOW_UP,
    Co2Row,
    EpciRow,
    ErasureRow,
    FailureRow,
    GisementReport,
    KindRow,
    OutcomeRow,
    TerritoryRow,
    analytical_session,
    gisement_report,
)
from .home import CoordinationHome, FunderHome, coordination_home, funder_home
from .households import (
    donation_set_key,
    equipped_households,
    household_rows,
    live_household_rows,
)
from .open_data import open_data_devices
from .scope import (
    Period,
    ReportSubject,
    devices_for,
    donation_conditions,
    donation_day,
    donations_for,
    gisements_in_scope,
    report_index,
    subject_for,
    subject_in_scope,
)

__all__ = [
    "CoordinationHome",
    "FunderHome",
    "coordination_home",
    "funder_home",
    "ANNEX_COLUMNS",
    "ANNEX_PAGE_SIZE",
    "FAILURE_FOLLOW_UP",
    "SMALL_COUNT",
    "Co2Row",
    "EpciRow",
    "ErasureRow",
    "FailureRow",
    "GisementReport",
    "KindRow",
    "Outcome",
    "OutcomeRow",
    "Period",
    "ReportSubject",
    "TerritoryRow",
    "add_figures",
    "analytical_session",
    "annex_page",
    "annex_rows",
    "device_figures",
    "devices_for",
    "donation_conditions",
    "donation_day",
    "donation_set_key",
    "donations_for",
    "empty_figures",
    "equipped_households",
    "gisement_report",
    "gisements_in_scope",
    "household_rows",
    "live_household_rows",
    "open_data_devices",
    "outcome_expression",
    "percent",
    "report_index",
    "small",
    "subject_for",
    "subject_in_scope",
]
