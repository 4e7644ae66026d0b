"""Reports for admins: trends over a server's recent days (and its chart), threshold suggestions."""
