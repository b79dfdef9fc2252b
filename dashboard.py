"""Voronka: page config, language and navigation. Everything else lives in pages/ and ui/."""

import streamlit as st

import ui

st.set_page_config(page_title="Voronka", page_icon=":material/filter_alt:", layout="wide")

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
            "pages/journey.py",
            title=ui.tr("nav.journey"),
            icon=":material/route:",
            url_path="journey",
        ),
    ],
    # the analyst's pages: uploads and settings
    ui.tr("nav.data"): [],
}
pages = {section: entries for section, entries in pages.items() if entries}
page = st.navigation(pages)
page.run()
ui.language_selector()
ui.write_url()
