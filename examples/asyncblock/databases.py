"""A user service whose coroutines query databases and a cache with synchronous drivers."""

from __future__ import annotations

import sqlite3

import aiosqlite
import psycopg2
import pymysql
import redis

cache = redis.Redis(host="cache", decode_responses=True)


async def user_name(db_path: str, user_id: int) -> str:
    if name := cache.get(f"user:{user_id}"):  # ABL173
        return name
    with sqlite3.connect(db_path) as db:  # ABL170
        row = db.execute("select name from users where id = ?", (user_id,))  # ABL170
        name = row.fetchone()[0]  # ABL170
    cache.set(f"user:{user_id}", name, ex=60)  # ABL173
    return name


async def orders(dsn: str, user_id: int) -> list[tuple]:
    conn = psycopg2.connect(dsn)  # ABL171
    with conn.cursor() as cur:
        cur.execute("select id, total from orders where user_id = %s", (user_id,))  # ABL171
        return cur.fetchall()  # ABL171


async def stock(host: str, sku: str) -> int:
    conn = pymysql.connect(host=host, database="shop")  # ABL172
    cur = conn.cursor()
    cur.execute("select count from stock where sku = %s", (sku,))  # ABL172
    return cur.fetchone()[0]  # ABL172


async def user_name_nicely(db_path: str, user_id: int) -> str:
    # Fine: aiosqlite runs the query off the loop and awaits the result.
    async with aiosqlite.connect(db_path) as db:
        cursor = await db.execute("select name from users where id = ?", (user_id,))
        row = await cursor.fetchone()
    return row[0]
