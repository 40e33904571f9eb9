"""Open exports of the published warehouse's marts in standard formats: the Fiscal Data
Package (fdp.py) of a reporting period, checked against its specification (fdp_model.py).

Like report/, it reads only the marts of the published file, read-only.
"""
