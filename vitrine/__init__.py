"""What every part of Vitrine shares: settings, and the formatting both the front and the API
use (money, dates, country names)."""
