# Recorded by django/capture.py: Django 5.2.19, MariaDB 10.11.19.

=== mysql: django 1

            SELECT
                table_name,
                table_type,
                table_comment
            FROM information_schema.tables
            WHERE table_schema = DATABASE()
            
>>> text: SELECT table_name, table_type, table_comment FROM information_schema.tables WHERE table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 2
CREATE TABLE `shop_customer` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `email` varchar(254) NOT NULL UNIQUE, `name` varchar(100) NOT NULL, `joined` datetime(6) NOT NULL, `profile` json NOT NULL)
>>> text: CREATE TABLE `shop_customer` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `email` varchar(?) NOT NULL UNIQUE, `name` varchar(?) NOT NULL, `joined` datetime(?) NOT NULL, `profile` json NOT NULL)
>>> summary: CREATE TABLE shop_customer
>>> operation: CREATE TABLE
>>> collection: shop_customer

=== mysql: django 3
CREATE TABLE `shop_tag` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `label` varchar(50) NOT NULL UNIQUE)
>>> text: CREATE TABLE `shop_tag` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `label` varchar(?) NOT NULL UNIQUE)
>>> summary: CREATE TABLE shop_tag
>>> operation: CREATE TABLE
>>> collection: shop_tag

=== mysql: django 4
CREATE TABLE `shop_item` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `sku` varchar(32) NOT NULL UNIQUE, `name` varchar(200) NOT NULL, `price` numeric(10, 2) NOT NULL, `stock` integer NOT NULL, `active` bool NOT NULL, `picture` longblob NULL)
>>> text: CREATE TABLE `shop_item` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `sku` varchar(?) NOT NULL UNIQUE, `name` varchar(?) NOT NULL, `price` numeric(?, ?) NOT NULL, `stock` integer NOT NULL, `active` bool NOT NULL, `picture` longblob NULL)
>>> summary: CREATE TABLE shop_item
>>> operation: CREATE TABLE
>>> collection: shop_item

=== mysql: django 5

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'shop_item' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 6
CREATE TABLE `shop_item_tags` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `item_id` bigint NOT NULL, `tag_id` bigint NOT NULL)
>>> text: CREATE TABLE `shop_item_tags` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `item_id` bigint NOT NULL, `tag_id` bigint NOT NULL)
>>> summary: CREATE TABLE shop_item_tags
>>> operation: CREATE TABLE
>>> collection: shop_item_tags

=== mysql: django 7

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'shop_item_tags' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 8
CREATE TABLE `shop_order` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `customer_id` bigint NOT NULL, `created` datetime(6) NOT NULL, `note` longtext NOT NULL, `status` varchar(16) NOT NULL)
>>> text: CREATE TABLE `shop_order` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `customer_id` bigint NOT NULL, `created` datetime(?) NOT NULL, `note` longtext NOT NULL, `status` varchar(?) NOT NULL)
>>> summary: CREATE TABLE shop_order
>>> operation: CREATE TABLE
>>> collection: shop_order

=== mysql: django 9

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'shop_order' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 10
CREATE TABLE `shop_orderline` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `order_id` bigint NOT NULL, `item_id` bigint NOT NULL, `quantity` integer UNSIGNED NOT NULL CHECK (`quantity` >= 0))
>>> text: CREATE TABLE `shop_orderline` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `order_id` bigint NOT NULL, `item_id` bigint NOT NULL, `quantity` integer UNSIGNED NOT NULL CHECK (`quantity` >= ?))
>>> summary: CREATE TABLE shop_orderline
>>> operation: CREATE TABLE
>>> collection: shop_orderline

=== mysql: django 11

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'shop_orderline' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 12
CREATE INDEX `shop_item_name_c85f6249` ON `shop_item` (`name`)
>>> text: CREATE INDEX `shop_item_name_c85f6249` ON `shop_item` (`name`)
>>> summary: CREATE INDEX shop_item
>>> operation: CREATE INDEX
>>> collection: shop_item

=== mysql: django 13
ALTER TABLE `shop_item_tags` ADD CONSTRAINT `shop_item_tags_item_id_tag_id_c662d917_uniq` UNIQUE (`item_id`, `tag_id`)
>>> text: ALTER TABLE `shop_item_tags` ADD CONSTRAINT `shop_item_tags_item_id_tag_id_c662d917_uniq` UNIQUE (`item_id`, `tag_id`)
>>> summary: ALTER TABLE shop_item_tags
>>> operation: ALTER TABLE
>>> collection: shop_item_tags

=== mysql: django 14
ALTER TABLE `shop_item_tags` ADD CONSTRAINT `shop_item_tags_item_id_7487b798_fk_shop_item_id` FOREIGN KEY (`item_id`) REFERENCES `shop_item` (`id`)
>>> text: ALTER TABLE `shop_item_tags` ADD CONSTRAINT `shop_item_tags_item_id_7487b798_fk_shop_item_id` FOREIGN KEY (`item_id`) REFERENCES `shop_item` (`id`)
>>> summary: ALTER TABLE shop_item_tags
>>> operation: ALTER TABLE
>>> collection: shop_item_tags

=== mysql: django 15
ALTER TABLE `shop_item_tags` ADD CONSTRAINT `shop_item_tags_tag_id_fc0ffb1a_fk_shop_tag_id` FOREIGN KEY (`tag_id`) REFERENCES `shop_tag` (`id`)
>>> text: ALTER TABLE `shop_item_tags` ADD CONSTRAINT `shop_item_tags_tag_id_fc0ffb1a_fk_shop_tag_id` FOREIGN KEY (`tag_id`) REFERENCES `shop_tag` (`id`)
>>> summary: ALTER TABLE shop_item_tags
>>> operation: ALTER TABLE
>>> collection: shop_item_tags

=== mysql: django 16
ALTER TABLE `shop_order` ADD CONSTRAINT `shop_order_customer_id_f638df20_fk_shop_customer_id` FOREIGN KEY (`customer_id`) REFERENCES `shop_customer` (`id`)
>>> text: ALTER TABLE `shop_order` ADD CONSTRAINT `shop_order_customer_id_f638df20_fk_shop_customer_id` FOREIGN KEY (`customer_id`) REFERENCES `shop_customer` (`id`)
>>> summary: ALTER TABLE shop_order
>>> operation: ALTER TABLE
>>> collection: shop_order

=== mysql: django 17
ALTER TABLE `shop_orderline` ADD CONSTRAINT `shop_orderline_order_id_8ad562c5_fk_shop_order_id` FOREIGN KEY (`order_id`) REFERENCES `shop_order` (`id`)
>>> text: ALTER TABLE `shop_orderline` ADD CONSTRAINT `shop_orderline_order_id_8ad562c5_fk_shop_order_id` FOREIGN KEY (`order_id`) REFERENCES `shop_order` (`id`)
>>> summary: ALTER TABLE shop_orderline
>>> operation: ALTER TABLE
>>> collection: shop_orderline

=== mysql: django 18
ALTER TABLE `shop_orderline` ADD CONSTRAINT `shop_orderline_item_id_9f9cc0b6_fk_shop_item_id` FOREIGN KEY (`item_id`) REFERENCES `shop_item` (`id`)
>>> text: ALTER TABLE `shop_orderline` ADD CONSTRAINT `shop_orderline_item_id_9f9cc0b6_fk_shop_item_id` FOREIGN KEY (`item_id`) REFERENCES `shop_item` (`id`)
>>> summary: ALTER TABLE shop_orderline
>>> operation: ALTER TABLE
>>> collection: shop_orderline

=== mysql: django 19
CREATE TABLE `django_migrations` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `app` varchar(255) NOT NULL, `name` varchar(255) NOT NULL, `applied` datetime(6) NOT NULL)
>>> text: CREATE TABLE `django_migrations` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `app` varchar(?) NOT NULL, `name` varchar(?) NOT NULL, `applied` datetime(?) NOT NULL)
>>> summary: CREATE TABLE django_migrations
>>> operation: CREATE TABLE
>>> collection: django_migrations

=== mysql: django 20
CREATE TABLE `django_content_type` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(100) NOT NULL, `app_label` varchar(100) NOT NULL, `model` varchar(100) NOT NULL)
>>> text: CREATE TABLE `django_content_type` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(?) NOT NULL, `app_label` varchar(?) NOT NULL, `model` varchar(?) NOT NULL)
>>> summary: CREATE TABLE django_content_type
>>> operation: CREATE TABLE
>>> collection: django_content_type

=== mysql: django 21
ALTER TABLE `django_content_type` ADD CONSTRAINT `django_content_type_app_label_model_76bd3d3b_uniq` UNIQUE (`app_label`, `model`)
>>> text: ALTER TABLE `django_content_type` ADD CONSTRAINT `django_content_type_app_label_model_76bd3d3b_uniq` UNIQUE (`app_label`, `model`)
>>> summary: ALTER TABLE django_content_type
>>> operation: ALTER TABLE
>>> collection: django_content_type

=== mysql: django 22
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('contenttypes', '0001_initial', '2026-11-22 16:20:03.337329') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 23
ALTER TABLE `django_content_type` MODIFY `name` varchar(100) NULL
>>> text: ALTER TABLE `django_content_type` MODIFY `name` varchar(?) NULL
>>> summary: ALTER TABLE django_content_type
>>> operation: ALTER TABLE
>>> collection: django_content_type

=== mysql: django 24
BEGIN
>>> text: BEGIN
>>> summary: BEGIN
>>> operation: BEGIN
>>> collection: -

=== mysql: django 25
COMMIT
>>> text: COMMIT
>>> summary: COMMIT
>>> operation: COMMIT
>>> collection: -

=== mysql: django 26
ALTER TABLE `django_content_type` DROP COLUMN `name`
>>> text: ALTER TABLE `django_content_type` DROP COLUMN `name`
>>> summary: ALTER TABLE django_content_type
>>> operation: ALTER TABLE
>>> collection: django_content_type

=== mysql: django 27
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('contenttypes', '0002_remove_content_type_name', '2026-11-22 16:20:03.472927') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 28
CREATE TABLE `auth_permission` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(50) NOT NULL, `content_type_id` integer NOT NULL, `codename` varchar(100) NOT NULL)
>>> text: CREATE TABLE `auth_permission` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(?) NOT NULL, `content_type_id` integer NOT NULL, `codename` varchar(?) NOT NULL)
>>> summary: CREATE TABLE auth_permission
>>> operation: CREATE TABLE
>>> collection: auth_permission

=== mysql: django 29

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'auth_permission' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 30
CREATE TABLE `auth_group` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(80) NOT NULL UNIQUE)
>>> text: CREATE TABLE `auth_group` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `name` varchar(?) NOT NULL UNIQUE)
>>> summary: CREATE TABLE auth_group
>>> operation: CREATE TABLE
>>> collection: auth_group

=== mysql: django 31
CREATE TABLE `auth_group_permissions` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `group_id` integer NOT NULL, `permission_id` integer NOT NULL)
>>> text: CREATE TABLE `auth_group_permissions` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `group_id` integer NOT NULL, `permission_id` integer NOT NULL)
>>> summary: CREATE TABLE auth_group_permissions
>>> operation: CREATE TABLE
>>> collection: auth_group_permissions

=== mysql: django 32

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'auth_group_permissions' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 33
CREATE TABLE `auth_user` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `password` varchar(128) NOT NULL, `last_login` datetime(6) NOT NULL, `is_superuser` bool NOT NULL, `username` varchar(30) NOT NULL UNIQUE, `first_name` varchar(30) NOT NULL, `last_name` varchar(30) NOT NULL, `email` varchar(75) NOT NULL, `is_staff` bool NOT NULL, `is_active` bool NOT NULL, `date_joined` datetime(6) NOT NULL)
>>> text: CREATE TABLE `auth_user` (`id` integer AUTO_INCREMENT NOT NULL PRIMARY KEY, `password` varchar(?) NOT NULL, `last_login` datetime(?) NOT NULL, `is_superuser` bool NOT NULL, `username` varchar(?) NOT NULL UNIQUE, `first_name` varchar(?) NOT NULL, `last_name` varchar(?) NOT NULL, `email` varchar(?) NOT NULL, `is_staff` bool NOT NULL, `is_active` bool NOT NULL, `date_joined` datetime(?) NOT NULL)
>>> summary: CREATE TABLE auth_user
>>> operation: CREATE TABLE
>>> collection: auth_user

=== mysql: django 34
CREATE TABLE `auth_user_groups` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `user_id` integer NOT NULL, `group_id` integer NOT NULL)
>>> text: CREATE TABLE `auth_user_groups` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `user_id` integer NOT NULL, `group_id` integer NOT NULL)
>>> summary: CREATE TABLE auth_user_groups
>>> operation: CREATE TABLE
>>> collection: auth_user_groups

=== mysql: django 35

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'auth_user_groups' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 36
CREATE TABLE `auth_user_user_permissions` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `user_id` integer NOT NULL, `permission_id` integer NOT NULL)
>>> text: CREATE TABLE `auth_user_user_permissions` (`id` bigint AUTO_INCREMENT NOT NULL PRIMARY KEY, `user_id` integer NOT NULL, `permission_id` integer NOT NULL)
>>> summary: CREATE TABLE auth_user_user_permissions
>>> operation: CREATE TABLE
>>> collection: auth_user_user_permissions

=== mysql: django 37

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'auth_user_user_permissions' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 38
ALTER TABLE `auth_permission` ADD CONSTRAINT `auth_permission_content_type_id_codename_01ab375a_uniq` UNIQUE (`content_type_id`, `codename`)
>>> text: ALTER TABLE `auth_permission` ADD CONSTRAINT `auth_permission_content_type_id_codename_01ab375a_uniq` UNIQUE (`content_type_id`, `codename`)
>>> summary: ALTER TABLE auth_permission
>>> operation: ALTER TABLE
>>> collection: auth_permission

=== mysql: django 39
ALTER TABLE `auth_permission` ADD CONSTRAINT `auth_permission_content_type_id_2f476e4b_fk_django_co` FOREIGN KEY (`content_type_id`) REFERENCES `django_content_type` (`id`)
>>> text: ALTER TABLE `auth_permission` ADD CONSTRAINT `auth_permission_content_type_id_2f476e4b_fk_django_co` FOREIGN KEY (`content_type_id`) REFERENCES `django_content_type` (`id`)
>>> summary: ALTER TABLE auth_permission
>>> operation: ALTER TABLE
>>> collection: auth_permission

=== mysql: django 40
ALTER TABLE `auth_group_permissions` ADD CONSTRAINT `auth_group_permissions_group_id_permission_id_0cd325b0_uniq` UNIQUE (`group_id`, `permission_id`)
>>> text: ALTER TABLE `auth_group_permissions` ADD CONSTRAINT `auth_group_permissions_group_id_permission_id_0cd325b0_uniq` UNIQUE (`group_id`, `permission_id`)
>>> summary: ALTER TABLE auth_group_permissions
>>> operation: ALTER TABLE
>>> collection: auth_group_permissions

=== mysql: django 41
ALTER TABLE `auth_group_permissions` ADD CONSTRAINT `auth_group_permissions_group_id_b120cbf9_fk_auth_group_id` FOREIGN KEY (`group_id`) REFERENCES `auth_group` (`id`)
>>> text: ALTER TABLE `auth_group_permissions` ADD CONSTRAINT `auth_group_permissions_group_id_b120cbf9_fk_auth_group_id` FOREIGN KEY (`group_id`) REFERENCES `auth_group` (`id`)
>>> summary: ALTER TABLE auth_group_permissions
>>> operation: ALTER TABLE
>>> collection: auth_group_permissions

=== mysql: django 42
ALTER TABLE `auth_group_permissions` ADD CONSTRAINT `auth_group_permissio_permission_id_84c5c92e_fk_auth_perm` FOREIGN KEY (`permission_id`) REFERENCES `auth_permission` (`id`)
>>> text: ALTER TABLE `auth_group_permissions` ADD CONSTRAINT `auth_group_permissio_permission_id_84c5c92e_fk_auth_perm` FOREIGN KEY (`permission_id`) REFERENCES `auth_permission` (`id`)
>>> summary: ALTER TABLE auth_group_permissions
>>> operation: ALTER TABLE
>>> collection: auth_group_permissions

=== mysql: django 43
ALTER TABLE `auth_user_groups` ADD CONSTRAINT `auth_user_groups_user_id_group_id_94350c0c_uniq` UNIQUE (`user_id`, `group_id`)
>>> text: ALTER TABLE `auth_user_groups` ADD CONSTRAINT `auth_user_groups_user_id_group_id_94350c0c_uniq` UNIQUE (`user_id`, `group_id`)
>>> summary: ALTER TABLE auth_user_groups
>>> operation: ALTER TABLE
>>> collection: auth_user_groups

=== mysql: django 44
ALTER TABLE `auth_user_groups` ADD CONSTRAINT `auth_user_groups_user_id_6a12ed8b_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)
>>> text: ALTER TABLE `auth_user_groups` ADD CONSTRAINT `auth_user_groups_user_id_6a12ed8b_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)
>>> summary: ALTER TABLE auth_user_groups
>>> operation: ALTER TABLE
>>> collection: auth_user_groups

=== mysql: django 45
ALTER TABLE `auth_user_groups` ADD CONSTRAINT `auth_user_groups_group_id_97559544_fk_auth_group_id` FOREIGN KEY (`group_id`) REFERENCES `auth_group` (`id`)
>>> text: ALTER TABLE `auth_user_groups` ADD CONSTRAINT `auth_user_groups_group_id_97559544_fk_auth_group_id` FOREIGN KEY (`group_id`) REFERENCES `auth_group` (`id`)
>>> summary: ALTER TABLE auth_user_groups
>>> operation: ALTER TABLE
>>> collection: auth_user_groups

=== mysql: django 46
ALTER TABLE `auth_user_user_permissions` ADD CONSTRAINT `auth_user_user_permissions_user_id_permission_id_14a6b632_uniq` UNIQUE (`user_id`, `permission_id`)
>>> text: ALTER TABLE `auth_user_user_permissions` ADD CONSTRAINT `auth_user_user_permissions_user_id_permission_id_14a6b632_uniq` UNIQUE (`user_id`, `permission_id`)
>>> summary: ALTER TABLE auth_user_user_permissions
>>> operation: ALTER TABLE
>>> collection: auth_user_user_permissions

=== mysql: django 47
ALTER TABLE `auth_user_user_permissions` ADD CONSTRAINT `auth_user_user_permissions_user_id_a95ead1b_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)
>>> text: ALTER TABLE `auth_user_user_permissions` ADD CONSTRAINT `auth_user_user_permissions_user_id_a95ead1b_fk_auth_user_id` FOREIGN KEY (`user_id`) REFERENCES `auth_user` (`id`)
>>> summary: ALTER TABLE auth_user_user_permissions
>>> operation: ALTER TABLE
>>> collection: auth_user_user_permissions

=== mysql: django 48
ALTER TABLE `auth_user_user_permissions` ADD CONSTRAINT `auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm` FOREIGN KEY (`permission_id`) REFERENCES `auth_permission` (`id`)
>>> text: ALTER TABLE `auth_user_user_permissions` ADD CONSTRAINT `auth_user_user_permi_permission_id_1fbb5f2c_fk_auth_perm` FOREIGN KEY (`permission_id`) REFERENCES `auth_permission` (`id`)
>>> summary: ALTER TABLE auth_user_user_permissions
>>> operation: ALTER TABLE
>>> collection: auth_user_user_permissions

=== mysql: django 49
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0001_initial', '2026-11-22 16:20:04.291569') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 50
ALTER TABLE `auth_permission` MODIFY `name` varchar(255) NOT NULL
>>> text: ALTER TABLE `auth_permission` MODIFY `name` varchar(?) NOT NULL
>>> summary: ALTER TABLE auth_permission
>>> operation: ALTER TABLE
>>> collection: auth_permission

=== mysql: django 51
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0002_alter_permission_name_max_length', '2026-11-22 16:20:04.394706') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 52
ALTER TABLE `auth_user` MODIFY `email` varchar(254) NOT NULL
>>> text: ALTER TABLE `auth_user` MODIFY `email` varchar(?) NOT NULL
>>> summary: ALTER TABLE auth_user
>>> operation: ALTER TABLE
>>> collection: auth_user

=== mysql: django 53
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0003_alter_user_email_max_length', '2026-11-22 16:20:04.458233') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 54
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0004_alter_user_username_opts', '2026-11-22 16:20:04.468228') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 55
ALTER TABLE `auth_user` MODIFY `last_login` datetime(6) NULL
>>> text: ALTER TABLE `auth_user` MODIFY `last_login` datetime(?) NULL
>>> summary: ALTER TABLE auth_user
>>> operation: ALTER TABLE
>>> collection: auth_user

=== mysql: django 56
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0005_alter_user_last_login_null', '2026-11-22 16:20:04.575396') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 57
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0006_require_contenttypes_0002', '2026-11-22 16:20:04.581118') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 58
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0007_alter_validators_add_error_messages', '2026-11-22 16:20:04.596946') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 59
ALTER TABLE `auth_user` MODIFY `username` varchar(150) NOT NULL
>>> text: ALTER TABLE `auth_user` MODIFY `username` varchar(?) NOT NULL
>>> summary: ALTER TABLE auth_user
>>> operation: ALTER TABLE
>>> collection: auth_user

=== mysql: django 60
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0008_alter_user_username_max_length', '2026-11-22 16:20:04.681129') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 61
ALTER TABLE `auth_user` MODIFY `last_name` varchar(150) NOT NULL
>>> text: ALTER TABLE `auth_user` MODIFY `last_name` varchar(?) NOT NULL
>>> summary: ALTER TABLE auth_user
>>> operation: ALTER TABLE
>>> collection: auth_user

=== mysql: django 62
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0009_alter_user_last_name_max_length', '2026-11-22 16:20:04.777080') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 63
ALTER TABLE `auth_group` MODIFY `name` varchar(150) NOT NULL
>>> text: ALTER TABLE `auth_group` MODIFY `name` varchar(?) NOT NULL
>>> summary: ALTER TABLE auth_group
>>> operation: ALTER TABLE
>>> collection: auth_group

=== mysql: django 64
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0010_alter_group_name_max_length', '2026-11-22 16:20:04.829057') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 65
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0011_update_proxy_permissions', '2026-11-22 16:20:04.843152') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 66
ALTER TABLE `auth_user` MODIFY `first_name` varchar(150) NOT NULL
>>> text: ALTER TABLE `auth_user` MODIFY `first_name` varchar(?) NOT NULL
>>> summary: ALTER TABLE auth_user
>>> operation: ALTER TABLE
>>> collection: auth_user

=== mysql: django 67
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('auth', '0012_alter_user_first_name_max_length', '2026-11-22 16:20:04.905311') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 68
CREATE TABLE `django_session` (`session_key` varchar(40) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(6) NOT NULL)
>>> text: CREATE TABLE `django_session` (`session_key` varchar(?) NOT NULL PRIMARY KEY, `session_data` longtext NOT NULL, `expire_date` datetime(?) NOT NULL)
>>> summary: CREATE TABLE django_session
>>> operation: CREATE TABLE
>>> collection: django_session

=== mysql: django 69

            SELECT engine
            FROM information_schema.tables
            WHERE
                table_name = 'django_session' AND
                table_schema = DATABASE()
            
>>> text: SELECT engine FROM information_schema.tables WHERE table_name = ? AND table_schema = DATABASE()
>>> summary: SELECT information_schema.tables
>>> operation: SELECT
>>> collection: information_schema.tables

=== mysql: django 70
CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)
>>> text: CREATE INDEX `django_session_expire_date_a5c62663` ON `django_session` (`expire_date`)
>>> summary: CREATE INDEX django_session
>>> operation: CREATE INDEX
>>> collection: django_session

=== mysql: django 71
INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES ('sessions', '0001_initial', '2026-11-22 16:20:04.990687') RETURNING `django_migrations`.`id`
>>> text: INSERT INTO `django_migrations` (`app`, `name`, `applied`) VALUES (?, ?, ?) RETURNING `django_migrations`.`id`
>>> summary: INSERT django_migrations
>>> operation: INSERT
>>> collection: django_migrations

=== mysql: django 72
SELECT `django_migrations`.`id`, `django_migrations`.`app`, `django_migrations`.`name`, `django_migrations`.`applied` FROM `django_migrations`
>>> text: SELECT `django_migrations`.`id`, `django_migrations`.`app`, `django_migrations`.`name`, `django_migrations`.`applied` FROM `django_migrations`
>>> summary: SELECT django_migrations
>>> operation: SELECT
>>> collection: django_migrations

=== mysql: django 73
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = 'contenttypes'
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = ?
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 74
INSERT INTO `django_content_type` (`app_label`, `model`) VALUES ('contenttypes', 'contenttype') RETURNING `django_content_type`.`id`
>>> text: INSERT INTO `django_content_type` (`app_label`, `model`) VALUES (?, ?) RETURNING `django_content_type`.`id`
>>> summary: INSERT django_content_type
>>> operation: INSERT
>>> collection: django_content_type

=== mysql: django 75
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = 'contenttypes' AND `django_content_type`.`model` IN ('contenttype'))
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = ? AND `django_content_type`.`model` IN (?))
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 76
SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (1) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, 2 ASC
>>> text: SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (?) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, ? ASC
>>> summary: SELECT auth_permission django_content_type
>>> operation: SELECT
>>> collection: -

=== mysql: django 77
INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES ('Can add content type', 1, 'add_contenttype'), ('Can change content type', 1, 'change_contenttype'), ('Can delete content type', 1, 'delete_contenttype'), ('Can view content type', 1, 'view_contenttype') RETURNING `auth_permission`.`id`
>>> text: INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES (?, ?, ?) RETURNING `auth_permission`.`id`
>>> summary: INSERT auth_permission
>>> operation: INSERT
>>> collection: auth_permission

=== mysql: django 78
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = 'auth'
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = ?
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 79
INSERT INTO `django_content_type` (`app_label`, `model`) VALUES ('auth', 'permission'), ('auth', 'group'), ('auth', 'user') RETURNING `django_content_type`.`id`
>>> text: INSERT INTO `django_content_type` (`app_label`, `model`) VALUES (?, ?) RETURNING `django_content_type`.`id`
>>> summary: INSERT django_content_type
>>> operation: INSERT
>>> collection: django_content_type

=== mysql: django 80
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = 'auth' AND `django_content_type`.`model` IN ('group', 'permission', 'user'))
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = ? AND `django_content_type`.`model` IN (?))
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 81
SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (2, 3, 4) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, 2 ASC
>>> text: SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (?) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, ? ASC
>>> summary: SELECT auth_permission django_content_type
>>> operation: SELECT
>>> collection: -

=== mysql: django 82
INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES ('Can add permission', 2, 'add_permission'), ('Can change permission', 2, 'change_permission'), ('Can delete permission', 2, 'delete_permission'), ('Can view permission', 2, 'view_permission'), ('Can add group', 3, 'add_group'), ('Can change group', 3, 'change_group'), ('Can delete group', 3, 'delete_group'), ('Can view group', 3, 'view_group'), ('Can add user', 4, 'add_user'), ('Can change user', 4, 'change_user'), ('Can delete user', 4, 'delete_user'), ('Can view user', 4, 'view_user') RETURNING `auth_permission`.`id`
>>> text: INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES (?, ?, ?) RETURNING `auth_permission`.`id`
>>> summary: INSERT auth_permission
>>> operation: INSERT
>>> collection: auth_permission

=== mysql: django 83
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = 'sessions'
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = ?
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 84
INSERT INTO `django_content_type` (`app_label`, `model`) VALUES ('sessions', 'session') RETURNING `django_content_type`.`id`
>>> text: INSERT INTO `django_content_type` (`app_label`, `model`) VALUES (?, ?) RETURNING `django_content_type`.`id`
>>> summary: INSERT django_content_type
>>> operation: INSERT
>>> collection: django_content_type

=== mysql: django 85
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = 'sessions' AND `django_content_type`.`model` IN ('session'))
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = ? AND `django_content_type`.`model` IN (?))
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 86
SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (5) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, 2 ASC
>>> text: SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (?) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, ? ASC
>>> summary: SELECT auth_permission django_content_type
>>> operation: SELECT
>>> collection: -

=== mysql: django 87
INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES ('Can add session', 5, 'add_session'), ('Can change session', 5, 'change_session'), ('Can delete session', 5, 'delete_session'), ('Can view session', 5, 'view_session') RETURNING `auth_permission`.`id`
>>> text: INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES (?, ?, ?) RETURNING `auth_permission`.`id`
>>> summary: INSERT auth_permission
>>> operation: INSERT
>>> collection: auth_permission

=== mysql: django 88
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = 'shop'
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE `django_content_type`.`app_label` = ?
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 89
INSERT INTO `django_content_type` (`app_label`, `model`) VALUES ('shop', 'customer'), ('shop', 'tag'), ('shop', 'item'), ('shop', 'order'), ('shop', 'orderline') RETURNING `django_content_type`.`id`
>>> text: INSERT INTO `django_content_type` (`app_label`, `model`) VALUES (?, ?) RETURNING `django_content_type`.`id`
>>> summary: INSERT django_content_type
>>> operation: INSERT
>>> collection: django_content_type

=== mysql: django 90
SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = 'shop' AND `django_content_type`.`model` IN ('order', 'tag', 'item', 'customer', 'orderline'))
>>> text: SELECT `django_content_type`.`id`, `django_content_type`.`app_label`, `django_content_type`.`model` FROM `django_content_type` WHERE (`django_content_type`.`app_label` = ? AND `django_content_type`.`model` IN (?))
>>> summary: SELECT django_content_type
>>> operation: SELECT
>>> collection: django_content_type

=== mysql: django 91
SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (6, 7, 8, 9, 10) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, 2 ASC
>>> text: SELECT `auth_permission`.`content_type_id` AS `content_type`, `auth_permission`.`codename` AS `codename` FROM `auth_permission` INNER JOIN `django_content_type` ON (`auth_permission`.`content_type_id` = `django_content_type`.`id`) WHERE `auth_permission`.`content_type_id` IN (?) ORDER BY `django_content_type`.`app_label` ASC, `django_content_type`.`model` ASC, ? ASC
>>> summary: SELECT auth_permission django_content_type
>>> operation: SELECT
>>> collection: -

=== mysql: django 92
INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES ('Can add customer', 6, 'add_customer'), ('Can change customer', 6, 'change_customer'), ('Can delete customer', 6, 'delete_customer'), ('Can view customer', 6, 'view_customer'), ('Can add tag', 7, 'add_tag'), ('Can change tag', 7, 'change_tag'), ('Can delete tag', 7, 'delete_tag'), ('Can view tag', 7, 'view_tag'), ('Can add item', 8, 'add_item'), ('Can change item', 8, 'change_item'), ('Can delete item', 8, 'delete_item'), ('Can view item', 8, 'view_item'), ('Can add order', 9, 'add_order'), ('Can change order', 9, 'change_order'), ('Can delete order', 9, 'delete_order'), ('Can view order', 9, 'view_order'), ('Can add order line', 10, 'add_orderline'), ('Can change order line', 10, 'change_orderline'), ('Can delete order line', 10, 'delete_orderline'), ('Can view order line', 10, 'view_orderline') RETURNING `auth_permission`.`id`
>>> text: INSERT INTO `auth_permission` (`name`, `content_type_id`, `codename`) VALUES (?, ?, ?) RETURNING `auth_permission`.`id`
>>> summary: INSERT auth_permission
>>> operation: INSERT
>>> collection: auth_permission

=== mysql: django 93
INSERT INTO `shop_customer` (`email`, `name`, `joined`, `profile`) VALUES ('ann@example.com', 'Ann', '2026-11-22 16:20:05.041447', '{\"vip\": true}') RETURNING `shop_customer`.`id`
>>> text: INSERT INTO `shop_customer` (`email`, `name`, `joined`, `profile`) VALUES (?, ?, ?, ?) RETURNING `shop_customer`.`id`
>>> summary: INSERT shop_customer
>>> operation: INSERT
>>> collection: shop_customer

=== mysql: django 94
INSERT INTO `shop_customer` (`email`, `name`, `joined`, `profile`) VALUES ('o\'reilly@example.org', 'Tim O\'Reilly', '2026-11-22 16:20:05.043898', '{}') RETURNING `shop_customer`.`id`
>>> text: INSERT INTO `shop_customer` (`email`, `name`, `joined`, `profile`) VALUES (?, ?, ?, ?) RETURNING `shop_customer`.`id`
>>> summary: INSERT shop_customer
>>> operation: INSERT
>>> collection: shop_customer

=== mysql: django 95
INSERT INTO `shop_customer` (`email`, `name`, `joined`, `profile`) VALUES ('zoë@example.net', 'Zoë \"Z\" Back\\slash', '2026-11-22 16:20:05.044793', '{\"a\": [1, 2]}') RETURNING `shop_customer`.`id`
>>> text: INSERT INTO `shop_customer` (`email`, `name`, `joined`, `profile`) VALUES (?, ?, ?, ?) RETURNING `shop_customer`.`id`
>>> summary: INSERT shop_customer
>>> operation: INSERT
>>> collection: shop_customer

=== mysql: django 96
INSERT INTO `shop_tag` (`label`) VALUES ('new'), ('sale'), ('50% off'), ('it\'s') RETURNING `shop_tag`.`id`
>>> text: INSERT INTO `shop_tag` (`label`) VALUES (?) RETURNING `shop_tag`.`id`
>>> summary: INSERT shop_tag
>>> operation: INSERT
>>> collection: shop_tag

=== mysql: django 97
INSERT INTO `shop_item` (`sku`, `name`, `price`, `stock`, `active`, `picture`) VALUES ('SKU-0001', 'Item 1', 9.99, 3, 1, NULL), ('SKU-0002', 'Item 2', 19.98, 6, 1, NULL), ('SKU-0003', 'Item 3', 29.97, 9, 1, NULL), ('SKU-0004', 'Item 4', 39.96, 12, 1, NULL), ('SKU-0005', 'Item 5', 49.95, 15, 1, NULL), ('SKU-0006', 'Item 6', 59.94, 18, 1, NULL), ('SKU-0007', 'Item 7', 69.93, 21, 1, NULL) RETURNING `shop_item`.`id`
>>> text: INSERT INTO `shop_item` (`sku`, `name`, `price`, `stock`, `active`, `picture`) VALUES (?, ?, ?, ?, ?, NULL) RETURNING `shop_item`.`id`
>>> summary: INSERT shop_item
>>> operation: INSERT
>>> collection: shop_item

=== mysql: django 98
INSERT IGNORE INTO `shop_item_tags` (`item_id`, `tag_id`) VALUES (1, 1), (1, 2), (1, 3)
>>> text: INSERT IGNORE INTO `shop_item_tags` (`item_id`, `tag_id`) VALUES (?, ?)
>>> summary: INSERT shop_item_tags
>>> operation: INSERT
>>> collection: shop_item_tags

=== mysql: django 99
SELECT `shop_tag`.`id` AS `id` FROM `shop_tag` INNER JOIN `shop_item_tags` ON (`shop_tag`.`id` = `shop_item_tags`.`tag_id`) WHERE `shop_item_tags`.`item_id` = 2
>>> text: SELECT `shop_tag`.`id` AS `id` FROM `shop_tag` INNER JOIN `shop_item_tags` ON (`shop_tag`.`id` = `shop_item_tags`.`tag_id`) WHERE `shop_item_tags`.`item_id` = ?
>>> summary: SELECT shop_tag shop_item_tags
>>> operation: SELECT
>>> collection: -

=== mysql: django 100
INSERT IGNORE INTO `shop_item_tags` (`item_id`, `tag_id`) VALUES (2, 2), (2, 3), (2, 4)
>>> text: INSERT IGNORE INTO `shop_item_tags` (`item_id`, `tag_id`) VALUES (?, ?)
>>> summary: INSERT shop_item_tags
>>> operation: INSERT
>>> collection: shop_item_tags

=== mysql: django 101
UPDATE `shop_item` SET `picture` = _binary X'0001275c62696e617279' WHERE `shop_item`.`id` = 3
>>> text: UPDATE `shop_item` SET `picture` = _binary ? WHERE `shop_item`.`id` = ?
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 102
INSERT INTO `shop_order` (`customer_id`, `created`, `note`, `status`) VALUES (1, '2026-11-22 16:20:05.072778', 'leave at the door; code 4711', 'new') RETURNING `shop_order`.`id`
>>> text: INSERT INTO `shop_order` (`customer_id`, `created`, `note`, `status`) VALUES (?, ?, ?, ?) RETURNING `shop_order`.`id`
>>> summary: INSERT shop_order
>>> operation: INSERT
>>> collection: shop_order

=== mysql: django 103
INSERT INTO `shop_orderline` (`order_id`, `item_id`, `quantity`) VALUES (1, 1, 2), (1, 2, 2), (1, 3, 2) RETURNING `shop_orderline`.`id`
>>> text: INSERT INTO `shop_orderline` (`order_id`, `item_id`, `quantity`) VALUES (?, ?, ?) RETURNING `shop_orderline`.`id`
>>> summary: INSERT shop_orderline
>>> operation: INSERT
>>> collection: shop_orderline

=== mysql: django 104
INSERT INTO `shop_orderline` (`order_id`, `item_id`, `quantity`) VALUES (1, 5, 1) RETURNING `shop_orderline`.`id`
>>> text: INSERT INTO `shop_orderline` (`order_id`, `item_id`, `quantity`) VALUES (?, ?, ?) RETURNING `shop_orderline`.`id`
>>> summary: INSERT shop_orderline
>>> operation: INSERT
>>> collection: shop_orderline

=== mysql: django 105
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` = 1 LIMIT 21
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` = ? LIMIT ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 106
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`sku` = 'SKU-0002' LIMIT 21
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`sku` = ? LIMIT ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 107
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` IN (1, 2, 3, 4, 5)
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` IN (?)
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 108
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` IN (1)
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` IN (?)
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 109
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE (`shop_item`.`name` LIKE '%item 1%' AND `shop_item`.`price` >= 5) ORDER BY `shop_item`.`price` DESC LIMIT 10
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE (`shop_item`.`name` LIKE ? AND `shop_item`.`price` >= ?) ORDER BY `shop_item`.`price` DESC LIMIT ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 110
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE (`shop_item`.`name` LIKE BINARY 'It\\_m\\%%' AND NOT (`shop_item`.`stock` = 0))
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE (`shop_item`.`name` LIKE BINARY ? AND NOT (`shop_item`.`stock` = ?))
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 111
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE ((`shop_item`.`stock` < 5 OR `shop_item`.`active` = 0) AND `shop_item`.`price` BETWEEN 1 AND 100)
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE ((`shop_item`.`stock` < ? OR `shop_item`.`active` = ?) AND `shop_item`.`price` BETWEEN ? AND ?)
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 112
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`email` LIKE 'O\'REILLY@EXAMPLE.ORG'
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`email` LIKE ?
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 113
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`name` REGEXP BINARY '^Zo\\w+'
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`name` REGEXP BINARY ?
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 114
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE JSON_UNQUOTE(JSON_EXTRACT(`shop_customer`.`profile`, '$.\"vip\"')) = JSON_EXTRACT('true', '$')
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE JSON_UNQUOTE(JSON_EXTRACT(`shop_customer`.`profile`, ?)) = JSON_EXTRACT(?, ?)
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 115
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE JSON_CONTAINS_PATH(`shop_customer`.`profile`, 'one', '$.\"a\"')
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE JSON_CONTAINS_PATH(`shop_customer`.`profile`, ?, ?)
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 116
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`joined` BETWEEN '2024-01-01 06:00:00' AND '2025-01-01 05:59:59.999999'
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`joined` BETWEEN ? AND ?
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 117
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE DATE(CONVERT_TZ(`shop_customer`.`joined`, 'UTC', 'America/Chicago')) = '2024-02-29'
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE DATE(CONVERT_TZ(`shop_customer`.`joined`, ?, ?)) = ?
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 118
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`joined` >= '2024-01-01 00:00:00'
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`joined` >= ?
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 119
SELECT `shop_order`.`id`, `shop_order`.`customer_id`, `shop_order`.`created`, `shop_order`.`note`, `shop_order`.`status`, `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_order` INNER JOIN `shop_customer` ON (`shop_order`.`customer_id` = `shop_customer`.`id`) WHERE `shop_customer`.`email` = 'ann@example.com'
>>> text: SELECT `shop_order`.`id`, `shop_order`.`customer_id`, `shop_order`.`created`, `shop_order`.`note`, `shop_order`.`status`, `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_order` INNER JOIN `shop_customer` ON (`shop_order`.`customer_id` = `shop_customer`.`id`) WHERE `shop_customer`.`email` = ?
>>> summary: SELECT shop_order shop_customer
>>> operation: SELECT
>>> collection: -

=== mysql: django 120
SELECT `shop_order`.`id`, `shop_order`.`customer_id`, `shop_order`.`created`, `shop_order`.`note`, `shop_order`.`status` FROM `shop_order`
>>> text: SELECT `shop_order`.`id`, `shop_order`.`customer_id`, `shop_order`.`created`, `shop_order`.`note`, `shop_order`.`status` FROM `shop_order`
>>> summary: SELECT shop_order
>>> operation: SELECT
>>> collection: shop_order

=== mysql: django 121
SELECT `shop_orderline`.`id`, `shop_orderline`.`order_id`, `shop_orderline`.`item_id`, `shop_orderline`.`quantity` FROM `shop_orderline` WHERE `shop_orderline`.`order_id` IN (1)
>>> text: SELECT `shop_orderline`.`id`, `shop_orderline`.`order_id`, `shop_orderline`.`item_id`, `shop_orderline`.`quantity` FROM `shop_orderline` WHERE `shop_orderline`.`order_id` IN (?)
>>> summary: SELECT shop_orderline
>>> operation: SELECT
>>> collection: shop_orderline

=== mysql: django 122
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE (`shop_item`.`id`) IN ((1), (2), (3), (5))
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE (`shop_item`.`id`) IN ((?))
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 123
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`active` = 1
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`active` = ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 124
SELECT (`shop_item_tags`.`item_id`) AS `_prefetch_related_val_item_id`, `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` INNER JOIN `shop_item_tags` ON (`shop_tag`.`id` = `shop_item_tags`.`tag_id`) WHERE `shop_item_tags`.`item_id` IN (1, 2, 3, 4, 5, 6, 7)
>>> text: SELECT (`shop_item_tags`.`item_id`) AS `_prefetch_related_val_item_id`, `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` INNER JOIN `shop_item_tags` ON (`shop_tag`.`id` = `shop_item_tags`.`tag_id`) WHERE `shop_item_tags`.`item_id` IN (?)
>>> summary: SELECT shop_tag shop_item_tags
>>> operation: SELECT
>>> collection: -

=== mysql: django 125
SELECT DISTINCT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` INNER JOIN `shop_item_tags` ON (`shop_tag`.`id` = `shop_item_tags`.`tag_id`) INNER JOIN `shop_item` ON (`shop_item_tags`.`item_id` = `shop_item`.`id`) WHERE `shop_item`.`name` = 'Item 1'
>>> text: SELECT DISTINCT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` INNER JOIN `shop_item_tags` ON (`shop_tag`.`id` = `shop_item_tags`.`tag_id`) INNER JOIN `shop_item` ON (`shop_item_tags`.`item_id` = `shop_item`.`id`) WHERE `shop_item`.`name` = ?
>>> summary: SELECT shop_tag shop_item_tags shop_item
>>> operation: SELECT
>>> collection: -

=== mysql: django 126
SELECT COUNT(*) AS `__count` FROM `shop_item`
>>> text: SELECT COUNT(*) AS `__count` FROM `shop_item`
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 127
SELECT 1 AS `a` FROM `shop_item` WHERE `shop_item`.`stock` > 3 LIMIT 1
>>> text: SELECT ? AS `a` FROM `shop_item` WHERE `shop_item`.`stock` > ? LIMIT ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 128
SELECT SUM(`shop_item`.`stock`) AS `stock__sum`, AVG(`shop_item`.`price`) AS `price__avg`, MAX(`shop_item`.`price`) AS `price__max` FROM `shop_item`
>>> text: SELECT SUM(`shop_item`.`stock`) AS `stock__sum`, AVG(`shop_item`.`price`) AS `price__avg`, MAX(`shop_item`.`price`) AS `price__max` FROM `shop_item`
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 129
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile`, COUNT(`shop_order`.`id`) AS `n` FROM `shop_customer` LEFT OUTER JOIN `shop_order` ON (`shop_customer`.`id` = `shop_order`.`customer_id`) GROUP BY `shop_customer`.`id` HAVING COUNT(`shop_order`.`id`) > 0 ORDER BY 6 DESC
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile`, COUNT(`shop_order`.`id`) AS `n` FROM `shop_customer` LEFT OUTER JOIN `shop_order` ON (`shop_customer`.`id` = `shop_order`.`customer_id`) GROUP BY `shop_customer`.`id` HAVING COUNT(`shop_order`.`id`) > ? ORDER BY ? DESC
>>> summary: SELECT shop_customer shop_order
>>> operation: SELECT
>>> collection: -

=== mysql: django 130
SELECT `shop_item`.`active` AS `active`, SUM(`shop_item`.`stock`) AS `total` FROM `shop_item` GROUP BY 1 ORDER BY NULL
>>> text: SELECT `shop_item`.`active` AS `active`, SUM(`shop_item`.`stock`) AS `total` FROM `shop_item` GROUP BY ? ORDER BY NULL
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 131
SELECT `shop_item`.`sku` AS `sku` FROM `shop_item` ORDER BY 1 ASC
>>> text: SELECT `shop_item`.`sku` AS `sku` FROM `shop_item` ORDER BY ? ASC
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 132
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture`, LOWER(`shop_item`.`name`) AS `lower` FROM `shop_item` WHERE LOWER(`shop_item`.`name`) = 'item 2'
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture`, LOWER(`shop_item`.`name`) AS `lower` FROM `shop_item` WHERE LOWER(`shop_item`.`name`) = ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 133
SELECT DATE(CONVERT_TZ(`shop_order`.`created`, 'UTC', 'America/Chicago')) AS `day`, EXTRACT(YEAR FROM CONVERT_TZ(`shop_order`.`created`, 'UTC', 'America/Chicago')) AS `year` FROM `shop_order`
>>> text: SELECT DATE(CONVERT_TZ(`shop_order`.`created`, ?, ?)) AS `day`, EXTRACT(YEAR FROM CONVERT_TZ(`shop_order`.`created`, ?, ?)) AS `year` FROM `shop_order`
>>> summary: SELECT shop_order
>>> operation: SELECT
>>> collection: shop_order

=== mysql: django 134
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture`, CASE WHEN `shop_item`.`stock` > 10 THEN 'many' ELSE 'few' END AS `label` FROM `shop_item`
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture`, CASE WHEN `shop_item`.`stock` > ? THEN ? ELSE ? END AS `label` FROM `shop_item`
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 135
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` INNER JOIN `shop_item_tags` ON (`shop_item`.`id` = `shop_item_tags`.`item_id`) WHERE `shop_item_tags`.`tag_id` IN (SELECT U0.`id` FROM `shop_tag` U0 WHERE U0.`label` LIKE BINARY '%sale%')
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` INNER JOIN `shop_item_tags` ON (`shop_item`.`id` = `shop_item_tags`.`item_id`) WHERE `shop_item_tags`.`tag_id` IN (SELECT U0.`id` FROM `shop_tag` U0 WHERE U0.`label` LIKE BINARY ?)
>>> summary: SELECT shop_item shop_item_tags SELECT shop_tag
>>> operation: SELECT
>>> collection: -

=== mysql: django 136
UPDATE `shop_item` SET `stock` = (`shop_item`.`stock` - 1) WHERE `shop_item`.`id` = 1
>>> text: UPDATE `shop_item` SET `stock` = (`shop_item`.`stock` - ?) WHERE `shop_item`.`id` = ?
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 137
UPDATE `shop_item` SET `price` = (`shop_item`.`price` * 1.1) WHERE `shop_item`.`active` = 1
>>> text: UPDATE `shop_item` SET `price` = (`shop_item`.`price` * ?) WHERE `shop_item`.`active` = ?
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 138
UPDATE `shop_item` SET `stock` = CASE WHEN (`shop_item`.`id` = 1) THEN 4 WHEN (`shop_item`.`id` = 2) THEN 7 WHEN (`shop_item`.`id` = 3) THEN 10 ELSE NULL END WHERE `shop_item`.`id` IN (1, 2, 3)
>>> text: UPDATE `shop_item` SET `stock` = CASE WHEN (`shop_item`.`id` = ?) THEN ? WHEN (`shop_item`.`id` = ?) THEN ? WHEN (`shop_item`.`id` = ?) THEN ? ELSE NULL END WHERE `shop_item`.`id` IN (?)
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 139
UPDATE `shop_item` SET `sku` = 'SKU-0006', `name` = 'Renamed \'six\'', `price` = 59.94, `stock` = 18, `active` = 1, `picture` = NULL WHERE `shop_item`.`id` = 6
>>> text: UPDATE `shop_item` SET `sku` = ?, `name` = ?, `price` = ?, `stock` = ?, `active` = ?, `picture` = NULL WHERE `shop_item`.`id` = ?
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 140
UPDATE `shop_item` SET `name` = 'Renamed \'six\'' WHERE `shop_item`.`id` = 6
>>> text: UPDATE `shop_item` SET `name` = ? WHERE `shop_item`.`id` = ?
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 141
SELECT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` WHERE `shop_tag`.`label` = 'new' LIMIT 21
>>> text: SELECT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` WHERE `shop_tag`.`label` = ? LIMIT ?
>>> summary: SELECT shop_tag
>>> operation: SELECT
>>> collection: shop_tag

=== mysql: django 142
SELECT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` WHERE `shop_tag`.`label` = 'clearance' LIMIT 21
>>> text: SELECT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` WHERE `shop_tag`.`label` = ? LIMIT ?
>>> summary: SELECT shop_tag
>>> operation: SELECT
>>> collection: shop_tag

=== mysql: django 143
INSERT INTO `shop_tag` (`label`) VALUES ('clearance') RETURNING `shop_tag`.`id`
>>> text: INSERT INTO `shop_tag` (`label`) VALUES (?) RETURNING `shop_tag`.`id`
>>> summary: INSERT shop_tag
>>> operation: INSERT
>>> collection: shop_tag

=== mysql: django 144
SELECT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` WHERE `shop_tag`.`label` = 'sale' LIMIT 21 FOR UPDATE
>>> text: SELECT `shop_tag`.`id`, `shop_tag`.`label` FROM `shop_tag` WHERE `shop_tag`.`label` = ? LIMIT ? FOR UPDATE
>>> summary: SELECT shop_tag
>>> operation: SELECT
>>> collection: shop_tag

=== mysql: django 145
UPDATE `shop_tag` SET `label` = 'sale' WHERE `shop_tag`.`id` = 2
>>> text: UPDATE `shop_tag` SET `label` = ? WHERE `shop_tag`.`id` = ?
>>> summary: UPDATE shop_tag
>>> operation: UPDATE
>>> collection: shop_tag

=== mysql: django 146
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` = 2 LIMIT 21 FOR UPDATE
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`id` = ? LIMIT ? FOR UPDATE
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 147
UPDATE `shop_item` SET `sku` = 'SKU-0002', `name` = 'Item 2', `price` = 21.98, `stock` = 0, `active` = 1, `picture` = NULL WHERE `shop_item`.`id` = 2
>>> text: UPDATE `shop_item` SET `sku` = ?, `name` = ?, `price` = ?, `stock` = ?, `active` = ?, `picture` = NULL WHERE `shop_item`.`id` = ?
>>> summary: UPDATE shop_item
>>> operation: UPDATE
>>> collection: shop_item

=== mysql: django 148
SAVEPOINT `s139917944753024_x1`
>>> text: SAVEPOINT `s139917944753024_x1`
>>> summary: SAVEPOINT
>>> operation: SAVEPOINT
>>> collection: -

=== mysql: django 149
INSERT INTO `shop_order` (`customer_id`, `created`, `note`, `status`) VALUES (2, '2026-11-22 16:20:05.130648', '', 'new') RETURNING `shop_order`.`id`
>>> text: INSERT INTO `shop_order` (`customer_id`, `created`, `note`, `status`) VALUES (?, ?, ?, ?) RETURNING `shop_order`.`id`
>>> summary: INSERT shop_order
>>> operation: INSERT
>>> collection: shop_order

=== mysql: django 150
RELEASE SAVEPOINT `s139917944753024_x1`
>>> text: RELEASE SAVEPOINT `s139917944753024_x1`
>>> summary: RELEASE
>>> operation: RELEASE
>>> collection: -

=== mysql: django 151
ROLLBACK
>>> text: ROLLBACK
>>> summary: ROLLBACK
>>> operation: ROLLBACK
>>> collection: -

=== mysql: django 152
SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`id` = 3
>>> text: SELECT `shop_customer`.`id`, `shop_customer`.`email`, `shop_customer`.`name`, `shop_customer`.`joined`, `shop_customer`.`profile` FROM `shop_customer` WHERE `shop_customer`.`id` = ?
>>> summary: SELECT shop_customer
>>> operation: SELECT
>>> collection: shop_customer

=== mysql: django 153
SELECT `shop_order`.`id` FROM `shop_order` WHERE `shop_order`.`customer_id` IN (3)
>>> text: SELECT `shop_order`.`id` FROM `shop_order` WHERE `shop_order`.`customer_id` IN (?)
>>> summary: SELECT shop_order
>>> operation: SELECT
>>> collection: shop_order

=== mysql: django 154
DELETE FROM `shop_customer` WHERE `shop_customer`.`id` IN (3)
>>> text: DELETE FROM `shop_customer` WHERE `shop_customer`.`id` IN (?)
>>> summary: DELETE shop_customer
>>> operation: DELETE
>>> collection: shop_customer

=== mysql: django 155
DELETE FROM `shop_orderline` WHERE `shop_orderline`.`order_id` IN (1)
>>> text: DELETE FROM `shop_orderline` WHERE `shop_orderline`.`order_id` IN (?)
>>> summary: DELETE shop_orderline
>>> operation: DELETE
>>> collection: shop_orderline

=== mysql: django 156
DELETE FROM `shop_order` WHERE `shop_order`.`id` IN (1)
>>> text: DELETE FROM `shop_order` WHERE `shop_order`.`id` IN (?)
>>> summary: DELETE shop_order
>>> operation: DELETE
>>> collection: shop_order

=== mysql: django 157
SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`sku` IN ('SKU-0006', 'SKU-0007')
>>> text: SELECT `shop_item`.`id`, `shop_item`.`sku`, `shop_item`.`name`, `shop_item`.`price`, `shop_item`.`stock`, `shop_item`.`active`, `shop_item`.`picture` FROM `shop_item` WHERE `shop_item`.`sku` IN (?)
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 158
SELECT `shop_orderline`.`id`, `shop_orderline`.`order_id`, `shop_orderline`.`item_id`, `shop_orderline`.`quantity` FROM `shop_orderline` WHERE `shop_orderline`.`item_id` IN (6, 7)
>>> text: SELECT `shop_orderline`.`id`, `shop_orderline`.`order_id`, `shop_orderline`.`item_id`, `shop_orderline`.`quantity` FROM `shop_orderline` WHERE `shop_orderline`.`item_id` IN (?)
>>> summary: SELECT shop_orderline
>>> operation: SELECT
>>> collection: shop_orderline

=== mysql: django 159
DELETE FROM `shop_item_tags` WHERE `shop_item_tags`.`item_id` IN (6, 7)
>>> text: DELETE FROM `shop_item_tags` WHERE `shop_item_tags`.`item_id` IN (?)
>>> summary: DELETE shop_item_tags
>>> operation: DELETE
>>> collection: shop_item_tags

=== mysql: django 160
DELETE FROM `shop_item` WHERE `shop_item`.`id` IN (7, 6)
>>> text: DELETE FROM `shop_item` WHERE `shop_item`.`id` IN (?)
>>> summary: DELETE shop_item
>>> operation: DELETE
>>> collection: shop_item

=== mysql: django 161
INSERT INTO `auth_user` (`password`, `last_login`, `is_superuser`, `username`, `first_name`, `last_name`, `email`, `is_staff`, `is_active`, `date_joined`) VALUES ('pbkdf2_sha256$1000000$JGqxCYlhSh0iM5YlIGvuPx$ctf+6ZE1ExPXa/Vq3Mi8c0nhOU6aQAb43NKaan3B+94=', NULL, 0, 'ann', '', '', 'ann@example.com', 0, 1, '2026-11-22 16:20:05.159245') RETURNING `auth_user`.`id`
>>> text: INSERT INTO `auth_user` (`password`, `last_login`, `is_superuser`, `username`, `first_name`, `last_name`, `email`, `is_staff`, `is_active`, `date_joined`) VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `auth_user`.`id`
>>> summary: INSERT auth_user
>>> operation: INSERT
>>> collection: auth_user

=== mysql: django 162
SELECT 1 AS `a` FROM `django_session` WHERE `django_session`.`session_key` = 'w5sj9lyh2ckteav5cj43plsfso49aym8' LIMIT 1
>>> text: SELECT ? AS `a` FROM `django_session` WHERE `django_session`.`session_key` = ? LIMIT ?
>>> summary: SELECT django_session
>>> operation: SELECT
>>> collection: django_session

=== mysql: django 163
INSERT INTO `django_session` (`session_key`, `session_data`, `expire_date`) VALUES ('w5sj9lyh2ckteav5cj43plsfso49aym8', 'eyJ1c2VyIjoxfQ:1xVAIP:AlCyGSdxdX6kvlG_rCBC6c9VeQIvJV3NhRsQTrk8Fd4', '2026-12-06 16:20:05.631625')
>>> text: INSERT INTO `django_session` (`session_key`, `session_data`, `expire_date`) VALUES (?, ?, ?)
>>> summary: INSERT django_session
>>> operation: INSERT
>>> collection: django_session

=== mysql: django 164
SELECT `django_session`.`session_key`, `django_session`.`session_data`, `django_session`.`expire_date` FROM `django_session` WHERE (`django_session`.`expire_date` > '2026-11-22 16:20:05.644692' AND `django_session`.`session_key` = 'w5sj9lyh2ckteav5cj43plsfso49aym8') LIMIT 21
>>> text: SELECT `django_session`.`session_key`, `django_session`.`session_data`, `django_session`.`expire_date` FROM `django_session` WHERE (`django_session`.`expire_date` > ? AND `django_session`.`session_key` = ?) LIMIT ?
>>> summary: SELECT django_session
>>> operation: SELECT
>>> collection: django_session

=== mysql: django 165
SELECT * FROM shop_item WHERE price > 10 AND name <> 'x'
>>> text: SELECT * FROM shop_item WHERE price > ? AND name <> ?
>>> summary: SELECT shop_item
>>> operation: SELECT
>>> collection: shop_item

=== mysql: django 166
SELECT 1 + 987654321, 'two\nlines'
>>> text: SELECT ? + ?, ?
>>> summary: SELECT
>>> operation: SELECT
>>> collection: -

=== mysql: django 167
SET FOREIGN_KEY_CHECKS = 0;
>>> text: SET FOREIGN_KEY_CHECKS = ?;
>>> summary: SET
>>> operation: SET
>>> collection: -

=== mysql: django 168
TRUNCATE `auth_user`;
>>> text: TRUNCATE `auth_user`;
>>> summary: TRUNCATE auth_user
>>> operation: TRUNCATE
>>> collection: auth_user

=== mysql: django 169
TRUNCATE `auth_group`;
>>> text: TRUNCATE `auth_group`;
>>> summary: TRUNCATE auth_group
>>> operation: TRUNCATE
>>> collection: auth_group

=== mysql: django 170
TRUNCATE `django_session`;
>>> text: TRUNCATE `django_session`;
>>> summary: TRUNCATE django_session
>>> operation: TRUNCATE
>>> collection: django_session

=== mysql: django 171
TRUNCATE `shop_tag`;
>>> text: TRUNCATE `shop_tag`;
>>> summary: TRUNCATE shop_tag
>>> operation: TRUNCATE
>>> collection: shop_tag

=== mysql: django 172
TRUNCATE `shop_customer`;
>>> text: TRUNCATE `shop_customer`;
>>> summary: TRUNCATE shop_customer
>>> operation: TRUNCATE
>>> collection: shop_customer

=== mysql: django 173
TRUNCATE `shop_item`;
>>> text: TRUNCATE `shop_item`;
>>> summary: TRUNCATE shop_item
>>> operation: TRUNCATE
>>> collection: shop_item

=== mysql: django 174
TRUNCATE `django_content_type`;
>>> text: TRUNCATE `django_content_type`;
>>> summary: TRUNCATE django_content_type
>>> operation: TRUNCATE
>>> collection: django_content_type

=== mysql: django 175
TRUNCATE `auth_user_user_permissions`;
>>> text: TRUNCATE `auth_user_user_permissions`;
>>> summary: TRUNCATE auth_user_user_permissions
>>> operation: TRUNCATE
>>> collection: auth_user_user_permissions

=== mysql: django 176
TRUNCATE `auth_group_permissions`;
>>> text: TRUNCATE `auth_group_permissions`;
>>> summary: TRUNCATE auth_group_permissions
>>> operation: TRUNCATE
>>> collection: auth_group_permissions

=== mysql: django 177
TRUNCATE `shop_item_tags`;
>>> text: TRUNCATE `shop_item_tags`;
>>> summary: TRUNCATE shop_item_tags
>>> operation: TRUNCATE
>>> collection: shop_item_tags

=== mysql: django 178
TRUNCATE `shop_order`;
>>> text: TRUNCATE `shop_order`;
>>> summary: TRUNCATE shop_order
>>> operation: TRUNCATE
>>> collection: shop_order

=== mysql: django 179
TRUNCATE `auth_user_groups`;
>>> text: TRUNCATE `auth_user_groups`;
>>> summary: TRUNCATE auth_user_groups
>>> operation: TRUNCATE
>>> collection: auth_user_groups

=== mysql: django 180
TRUNCATE `auth_permission`;
>>> text: TRUNCATE `auth_permission`;
>>> summary: TRUNCATE auth_permission
>>> operation: TRUNCATE
>>> collection: auth_permission

=== mysql: django 181
TRUNCATE `shop_orderline`;
>>> text: TRUNCATE `shop_orderline`;
>>> summary: TRUNCATE shop_orderline
>>> operation: TRUNCATE
>>> collection: shop_orderline

=== mysql: django 182
SET FOREIGN_KEY_CHECKS = 1;
>>> text: SET FOREIGN_KEY_CHECKS = ?;
>>> summary: SET
>>> operation: SET
>>> collection: -
