"""The Guanxi chassis: plumbing every service shares, written once. No domain code lives here."""
