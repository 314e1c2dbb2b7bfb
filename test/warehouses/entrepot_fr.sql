-- A second test warehouse, shaped unlike the demo one: French names, an integer yyyymmdd date
-- key and a separate hour column, no foreign keys, tens of thousands of products, a VIEW as the
-- fact table (over a base table with cancelled lines), three years, a summer seasonality and a
-- Saturday peak. The planted factors are stored in saisonnalite_plantee and jours_plantes.
--
-- psql variables (all optional): schema (entrepot_fr), lignes (sales lines, 300000),
-- produits (25000), clients (3000), graine (random seed in [-1, 1], 0.42).
--   psql -v schema=entrepot_fr -v lignes=300000 -f test/warehouses/entrepot_fr.sql
\if :{?schema}
\else
\set schema entrepot_fr
\endif
\if :{?lignes}
\else
\set lignes 300000
\endif
\if :{?produits}
\else
\set produits 25000
\endif
\if :{?clients}
\else
\set clients 3000
\endif
\if :{?graine}
\else
\set graine 0.42
\endif

SELECT current_setting('search_path') AS entrepot_old_path \gset
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;  -- random() in one process: reproducible with the seed
DROP SCHEMA IF EXISTS :"schema" CASCADE;
CREATE SCHEMA :"schema";
SET search_path = :"schema", pg_catalog;
SELECT setseed(:graine) \g /dev/null

-- Ground truth: monthly factors (summer peak) and weekday factors (Saturday peak, Sunday morning).
CREATE TABLE saisonnalite_plantee (mois int PRIMARY KEY, facteur float8 NOT NULL);
INSERT INTO saisonnalite_plantee
SELECT m, (ARRAY[0.75, 0.70, 0.85, 0.95, 1.10, 1.30, 1.45, 1.35, 1.00, 0.90, 0.80, 1.10])[m]
FROM generate_series(1, 12) AS m;
CREATE TABLE jours_plantes (isodow int PRIMARY KEY, facteur float8 NOT NULL);
INSERT INTO jours_plantes
SELECT d, (ARRAY[0.55, 0.85, 0.90, 1.00, 1.20, 1.60, 0.45])[d] FROM generate_series(1, 7) AS d;

-- Dimensions (primary keys, no foreign keys).
CREATE TABLE depots (id_depot int PRIMARY KEY, nom_depot text NOT NULL, ville text NOT NULL, region text NOT NULL);
INSERT INTO depots
SELECT i, 'Dépôt de ' || v.ville, v.ville, v.region
FROM (VALUES (1, 'Paris', 'Île-de-France'), (2, 'Versailles', 'Île-de-France'), (3, 'Créteil', 'Île-de-France'),
             (4, 'Lyon', 'Auvergne-Rhône-Alpes'), (5, 'Grenoble', 'Auvergne-Rhône-Alpes'),
             (6, 'Clermont-Ferrand', 'Auvergne-Rhône-Alpes'), (7, 'Toulouse', 'Occitanie'),
             (8, 'Montpellier', 'Occitanie'), (9, 'Lille', 'Hauts-de-France'), (10, 'Amiens', 'Hauts-de-France'),
             (11, 'Bordeaux', 'Nouvelle-Aquitaine'), (12, 'Limoges', 'Nouvelle-Aquitaine'),
             (13, 'Strasbourg', 'Grand Est'), (14, 'Metz', 'Grand Est'), (15, 'Rennes', 'Bretagne'),
             (16, 'Brest', 'Bretagne'), (17, 'Marseille', 'Provence-Alpes-Côte d''Azur'),
             (18, 'Nice', 'Provence-Alpes-Côte d''Azur')) AS v(i, ville, region);

CREATE TABLE clients AS
SELECT c AS id_client,
       (ARRAY['Boulangerie', 'Épicerie', 'Café', 'Restaurant', 'Hôtel', 'Mairie', 'Camping', 'Supérette'])
           [1 + floor(8 * random())::int] || ' ' || (ARRAY['du Port', 'des Halles', 'Martin', 'Dubois', 'du Centre',
                                                        'de la Gare', 'Bernard', 'Lefèvre'])[1 + floor(8 * random())::int]
           AS raison_sociale,
       1 + floor(18 * random())::int AS depot_habituel,
       (ARRAY['professionnel', 'professionnel', 'particulier', 'collectivité'])[1 + floor(4 * random())::int] AS type_client
FROM generate_series(1, :clients) AS c;
ALTER TABLE clients ADD PRIMARY KEY (id_client);
ALTER TABLE clients ADD COLUMN region text;
UPDATE clients c SET region = d.region FROM depots d WHERE d.id_depot = c.depot_habituel;

CREATE TABLE produits AS
SELECT p AS id_produit, f.famille, f.famille || ' / gamme ' || (1 + p % 7) AS sous_famille,
       f.famille || ' réf. ' || lpad(p::text, 6, '0') AS libelle,
       round((f.prix * exp(0.6 * (random() + random() + random() - 1.5)))::numeric, 2) AS prix_catalogue
FROM generate_series(1, :produits) AS p,
     LATERAL (SELECT (ARRAY['Épicerie', 'Boissons', 'Frais', 'Surgelés', 'Hygiène', 'Entretien', 'Bricolage',
                            'Jardin', 'Papeterie', 'Textile'])[1 + p % 10] AS famille,
                     (ARRAY[4, 6, 5, 7, 8, 9, 25, 30, 3, 18])[1 + p % 10] AS prix) AS f;
ALTER TABLE produits ADD PRIMARY KEY (id_produit);

CREATE TABLE calendrier AS
SELECT to_char(d, 'YYYYMMDD')::int AS date_cle, d::date AS jour, extract(year FROM d)::int AS annee,
       extract(month FROM d)::int AS mois, extract(isodow FROM d)::int AS jour_semaine
FROM generate_series(date '2022-01-01', date '2024-12-31', interval '1 day') AS d;
ALTER TABLE calendrier ADD PRIMARY KEY (date_cle);

-- Orders: candidate days kept with probability month x weekday x growth (+8% a year); about
-- 36% of the candidates are kept, and an order has 4 lines on average.
CREATE UNLOGGED TABLE _commandes AS
WITH candidats AS (
    SELECT k, date '2022-01-01' + floor(1096 * random())::int AS jour, random() AS u
    FROM generate_series(1, round(:lignes / 4 / 0.3645)::int) AS k
), gardes AS (
    SELECT c.k, c.jour FROM candidats c
    JOIN saisonnalite_plantee s ON s.mois = extract(month FROM c.jour)
    JOIN jours_plantes j ON j.isodow = extract(isodow FROM c.jour)
    WHERE c.u < s.facteur * j.facteur * (1 + 0.08 * (c.jour - date '2022-01-01') / 365.0) / (1.45 * 1.60 * 1.24)
)
SELECT row_number() OVER (ORDER BY jour, k) AS num_commande, jour,
       CASE WHEN random() < 0.55 THEN 9 + floor(4 * random())::int ELSE 14 + floor(5 * random())::int END AS heure,
       1 + floor(:clients * power(random(), 1.4))::int AS id_client,
       1 + floor(7 * random())::int AS nb_lignes
FROM gardes;

-- Sales lines: popular products much more often (a few hundred make most of the revenue).
CREATE TABLE lignes_vente_base AS
SELECT row_number() OVER (ORDER BY o.num_commande, l) AS id_ligne, o.num_commande::int AS num_commande,
       to_char(o.jour, 'YYYYMMDD')::int AS date_cle, o.heure::smallint AS heure, o.id_client,
       x.id_produit,
       CASE WHEN random() < 0.85 THEN c.depot_habituel ELSE 1 + floor(18 * random())::int END AS id_depot,
       (1 + floor(10 * power(random(), 2)))::int AS quantite,
       round(p.prix_catalogue * (0.95 + 0.1 * random())::numeric, 2) AS prix_unitaire,
       CASE WHEN c.type_client = 'professionnel' THEN 0.10 ELSE 0 END::numeric(4, 2) AS remise,
       CASE WHEN random() < 0.02 THEN 'annulée' ELSE 'livrée' END AS statut
FROM _commandes o
     JOIN clients c USING (id_client)
     CROSS JOIN generate_series(1, o.nb_lignes) AS l
     CROSS JOIN LATERAL (SELECT 1 + floor(:produits * power(random() + 0 * l, 3))::int AS id_produit) AS x
     JOIN produits p ON p.id_produit = x.id_produit;
ALTER TABLE lignes_vente_base ADD PRIMARY KEY (id_ligne);
DROP TABLE _commandes;

-- The fact table is a view: delivered lines with their amount after discount.
CREATE VIEW lignes_vente AS
SELECT id_ligne, num_commande, date_cle, heure, id_client, id_produit, id_depot, quantite, prix_unitaire,
       round(quantite * prix_unitaire * (1 - remise), 2) AS montant
FROM lignes_vente_base WHERE statut <> 'annulée';
COMMENT ON VIEW lignes_vente IS 'lignes livrées (fait): montant = quantité x prix unitaire x (1 - remise)';

ANALYZE depots;
ANALYZE clients;
ANALYZE produits;
ANALYZE calendrier;
ANALYZE lignes_vente_base;
RESET max_parallel_workers_per_gather;
RESET client_min_messages;
SELECT set_config('search_path', :'entrepot_old_path', false) \gset
