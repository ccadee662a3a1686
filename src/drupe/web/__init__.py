"""drupe.web"""
