"""Several server processes behind a load balancer: the shipped proxy configurations
(``haproxy.cfg``, ``nginx.conf``, ``compose.yaml``), a replica that warms up before it
serves (``python -m deploy.replica``) and a local cluster of them behind Debian's haproxy
(``python -m deploy.cluster``). See docs/DEPLOY.md, "A room of a hundred"."""
