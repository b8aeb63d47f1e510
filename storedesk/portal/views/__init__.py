"""Portal views: sign-in, my requests, the contact form and status links."""
