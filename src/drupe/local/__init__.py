"""drupe.local"""
