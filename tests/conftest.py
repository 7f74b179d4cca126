"""Shared test set-up.

One BLAS thread for the whole run: the core's matmuls are small, and on a shared 2-core machine
a second BLAS thread makes training an order of magnitude slower under load (as the server
runs it too; see ARCHITECTURE.md §2).
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits

_BLAS = threadpool_limits(1, user_api="blas")
