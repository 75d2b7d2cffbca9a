"""The loopwind.dev website: public pages, sign-up, dashboard and docs."""
