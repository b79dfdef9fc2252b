"""Voronka: page config, language and navigation. Everything else lives in pages/ and ui/."""

import streamlit as st

import ui

st.set_page_config(page_title="Voronka", page_icon=":material/filter_alt:", layout="wide")
ui.require_sign_in()  # only when the deployer configured one (ui/access.py)

pages = {
    # the sales director's pages
    ui.tr("nav.sales"): [
        st.Page(
            "pages/overview.py",
            title=ui.tr("nav.overview"),
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
        ),
        st.Page(
            "pages/weekly.py",
            title=ui.tr("nav.weekly"),
            icon=":material/calendar_view_week:",
            url_path="weekly",
        ),
    ],
    # the marketer's pages
    ui.tr("nav.marketing"): [
        st.Page(
            "pages/campaigns.py",
            title=ui.tr("nav.campaigns"),
            icon=":material/campaign:",
            url_path="campaigns",
        ),
        st.Page(
            "pages/quality.py",
            title=ui.tr("nav.quality"),
            icon=":material/verified:",
            url_path="quality",
        ),
        st.Page(
            "pages/journey.py",
            title=ui.tr("nav.journey"),
            icon=":material/route:",
            url_path="journey",
        ),
    ],
    # the analyst's pages: uploads and settings
    ui.tr("nav.data"): [
        *(  # a read-only account does not see Upload (and the page refuses a direct link)
            [
                st.Page(
                    "pages/upload.py",
                    title=ui.tr("nav.upload"),
                    icon=":material/upload_file:",
                    url_path="upload",
                )
            ]
            if ui.can_change()
            else []
        ),
        st.Page(
            "pages/settings.py",
            title=ui.tr("nav.settings"),
            icon=":material/settings:",
            url_path="settings",
        ),
    ],
}
pages = {section: entries for section, entries in pages.items() if entries}
page = st.navigation(pages)
ui.adhoc_banner()  # an uploaded file viewed ad hoc: said on every page, with a way back
try:
    with ui.shell():
        page.run()
except Exception as exc:  # never a traceback on screen: see ui.unexpected
    ui.unexpected(exc)
ui.language_selector()
ui.user_box()
ui.write_url()
