"""Calls mode: find known blocking calls made on a running event loop's thread.

`catalogue` says what counts (audit events and wrapped functions, as data),
`conditions` when such a call really blocks, `callers` which frame made it and
whether that frame is exempt, `probe` installs the audit hook and the wrappers,
`recorder` keeps one finding per call site, `report` and `guard` bring the
findings to the test report.
"""
