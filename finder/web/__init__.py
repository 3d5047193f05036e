"""HTTP plumbing shared by every area: headers, CSRF, proxies, errors, compression, static assets, Jinja filters, rate limits."""
