"""The Slack adapter: Events API and interactivity payloads in, Block Kit messages out."""
