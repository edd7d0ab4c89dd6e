"""jkda — 居民健康档案: resident health records for community health services."""

__version__ = "0.1.0"
