"""The Customer AI dashboard (``cai serve``) and its one-file report (``cai report``)."""
