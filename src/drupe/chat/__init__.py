"""drupe.chat"""
