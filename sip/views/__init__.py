"""The views of a provider account's page, a module per tab (sip/tabs.py lists the tabs)."""
