"""What every page shares: the session (engine, account, language), the error guard, the sidebar,
cached services, chart helpers and layout. See docs/architecture.md."""
