"""The BMLT semantic API: parameters parsed into our one search, answers shaped as BMLT clients expect."""
