"""Voronka: page config, language and navigation. Everything else lives in pages/ and ui/."""

import streamlit as st

import ui

st.set_page_config(page_title="Voronka", page_icon=":material/filter_alt:", layout="wide")

pages = {
    ui.tr("nav.dashboards"): [
        st.Page(
            "pages/overview.py",
            title=ui.tr("nav.overview"),
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
        ),
    ],
}
page = st.navigation(pages)
page.run()
ui.language_selector()
ui.write_url()
