"""Page handlers: each declares the API calls its page needs, awaits them as one batch, renders."""
